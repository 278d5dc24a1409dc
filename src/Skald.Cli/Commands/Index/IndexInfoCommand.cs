using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Retrieval;
using Skald.Retrieval.Index;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// <c>skald index info</c>: what an index holds and how it searches: model, rows (live and deleted), documents,
/// precision, product-quantized codes, inverted lists (how evenly the rows fill them) or HNSW graph, BM25 settings, chunking and the files' sizes;
/// with --skipped, the document files it records without rows (read without text, or unreadable) instead.
/// </summary>
internal sealed class IndexInfoCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly Option<string> format = CliOptions.Choice("--format", "table, or json (one object)", "table", "table", "json");
    private readonly Option<bool> skipped = CliOptions.Flag("--skipped",
        "List the document files the index holds no rows of and a sync skips while they are unchanged: those read without text, and those that could not be read, with why");

    public IndexInfoCommand() : base("info", "Describe an index: model, rows, precision, PQ codes, IVF lists or HNSW graph, BM25 settings and file sizes")
    {
        Options.Add(index);
        Options.Add(format);
        Options.Add(skipped);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string folder = p.GetValue(index)!;
        try
        {
            using var open = SearchIndex.Open(folder);
            bool json = p.GetValue(format) == "json";
            if (p.GetValue(skipped)) return Skipped(open.Manifest, folder, json, p.GetValue(CliOptions.Quiet));
            var fields = Describe(open, json);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(fields.ToDictionary(f => f.Key, f => f.Value)));
                return 0;
            }
            var table = new ResultTable($"index {folder}", "field", "value");
            foreach (var (key, value) in fields) table.Add(key, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
            table.Write(Terminal.Stdout(p.GetValue(CliOptions.Quiet)), Console.Out);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>
    /// --skipped: the files the index records without rows, as a table (source, why) or a JSON array of objects
    /// (<c>source</c>, <c>skipped</c>: <c>no_text</c> or <c>unreadable</c>, <c>reason</c>).
    /// </summary>
    private static int Skipped(IndexManifest manifest, string folder, bool json, bool quiet)
    {
        var files = (manifest.NoText ?? []).Select(t => (t.Source, Kind: "no_text", Reason: $"no text (OCR: {t.Ocr})"))
            .Concat((manifest.Unreadable ?? []).Select(u => (u.Source, Kind: "unreadable", u.Reason)))
            .OrderBy(f => f.Source, StringComparer.Ordinal).ToList();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(files.Select(f => new Dictionary<string, string> { ["source"] = f.Source, ["skipped"] = f.Kind, ["reason"] = f.Reason })));
            return 0;
        }
        var table = new ResultTable($"files of {folder} without rows", "source", "skipped");
        foreach (var (source, _, reason) in files) table.Add(source, reason);
        table.Write(Terminal.Stdout(quiet), Console.Out);
        return 0;
    }

    /// <summary>The fields shown, in order (numbers stay numbers, and settings that are booleans booleans, for --format json).</summary>
    private static List<KeyValuePair<string, object>> Describe(SearchIndex index, bool json)
    {
        var m = index.Manifest;
        var fields = new List<KeyValuePair<string, object>>
        {
            new("model", m.Model),
            new("documents_root", m.DocumentsRoot ?? "none (records hold full paths)"),
            new("dimension", m.Dimension),
            new("similarity", m.Similarity),
            new("rows", m.Rows),
            new("live_rows", index.LiveCount),
            new("deleted_rows", index.Deleted.Count),
            new("documents", index.Records.Where((_, r) => !index.Deleted.Contains(r)).Select(r => r.Document).Distinct(StringComparer.Ordinal).Count()),
            new("precision", m.Precision),
            new("ivf_lists", m.IvfLists),
            new("pq_subspaces", m.PqSubspaces),
            new("hnsw_m", m.HnswM),
        };
        if (m.QueryInstruction is { } instruction) fields.Add(new("query_instruction", instruction)); // an LLM2Vec index's queries
        if (index.ProductQuantizer is { } pq)
        {
            fields.Add(new("pq_bits", m.PqBits));
            fields.Add(new("pq_centroids", pq.Centroids));
            fields.Add(new("pq_rotation", !pq.Rotated ? "none"
                : pq.CodeDimension == pq.Dimension ? "OPQ (the codes quantize the rows turned by a trained orthonormal matrix)"
                : $"OPQ to {pq.CodeDimension}-d (the codes quantize the rows mapped to {pq.CodeDimension} values by a trained matrix with orthonormal {(pq.CodeDimension < pq.Dimension ? "rows" : "columns")})"));
            fields.Add(new("pq_search", pq.Centroids <= 16 && pq.Subspaces <= 257 ? "fast scan (byte tables, 64 codes per look-up)"
                : pq.Centroids <= 128 ? $"a table look-up per code ({Skald.Retrieval.Quantization.ProductCodes.CodeBits(pq)}-bit codes packed, {Skald.Retrieval.Quantization.ProductCodes.CodeBytes(pq)} bytes a row)" : "a table look-up per code"));
            fields.Add(new("pq_codes", index.Lists is null ? "the rows" : "residuals from the IVF lists' centroids"));
        }
        if (m.Sparse)
        {
            var live = Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).Select(index.SparseCount).ToArray();
            fields.Add(new("vectors", "sparse (a sparse encoder's non-zero entries: vocabulary weights or CSR latents, searched through an inverted index)"));
            fields.Add(new("active_dims_mean", live.Length == 0 ? 0 : Math.Round(live.Average(), 1)));
            if (m.MaxActiveDims > 0) fields.Add(new("max_active_dims", m.MaxActiveDims));
        }
        if (m.MultiVector is not null)
        {
            var live = Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).Select(index.TokenCount).ToArray();
            fields.Add(new("vectors", $"token vectors ({m.MultiVector}: one per document token, scored by {(m.TokenPrecision == "plaid" ? "MaxSim over PLAID's candidates" : "exact MaxSim")}; embeddings.f32 holds their means)"));
            fields.Add(new("token_precision", index.TokenPrecision switch
            {
                TokenPrecision.Float16 => "float16 (2 bytes a value, scanned as stored)",
                TokenPrecision.Int8 => "int8 (a byte a value and a float32 scale per vector, scanned as stored)",
                TokenPrecision.Plaid => $"plaid ({m.PlaidCentroids} centroids, {m.PlaidBits}-bit residual codes; searched by PLAID's candidate stages, approximate)",
                _ => "float32",
            }));
            fields.Add(new("tokens_per_row_mean", live.Length == 0 ? 0 : Math.Round(live.Average(), 1)));
        }
        if (m.BgeM3 is { } m3)
        {
            var live = Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).ToArray();
            fields.Add(new("vectors", $"BGE-M3 outputs ({string.Join(", ", m3.Outputs)}: from one pass, scored by their weighted combination; ColBERT by the mean over query vectors)"));
            if ((index.BgeM3Stored & Skald.Models.BgeM3.BgeM3Outputs.Sparse) != 0)
                fields.Add(new("active_dims_mean", live.Length == 0 ? 0 : Math.Round(live.Average(index.SparseCount), 1)));
            if ((index.BgeM3Stored & Skald.Models.BgeM3.BgeM3Outputs.Colbert) != 0)
            {
                fields.Add(new("colbert_dimension", m3.ColbertDimension));
                if (m.TokenPrecision == "plaid") fields.Add(new("colbert_plaid", $"{m.PlaidCentroids} centroids, {m.PlaidBits}-bit residuals"));
                fields.Add(new("tokens_per_row_mean", live.Length == 0 ? 0 : Math.Round(live.Average(index.TokenCount), 1)));
            }
        }
        if (index.Graph is { } graph)
        {
            fields.Add(new("hnsw_ef_construction", m.HnswEfConstruction));
            fields.Add(new("hnsw_ef", m.HnswEf));
            fields.Add(new("hnsw_replace_deleted", json ? (object)m.HnswReplaceDeleted : m.HnswReplaceDeleted ? "true (index add gives new rows the dropped rows' slots)" : "false (index add appends new rows)"));
            fields.Add(new("hnsw_levels", graph.TopLevel + 1));
            fields.Add(new("hnsw_links_per_row_mean", graph.Count == 0 ? 0 : Math.Round(Enumerable.Range(0, graph.Count).Average(r => graph.Links(r, 0).Length), 1)));
        }
        if (index.Lists is { } lists)
        {
            var sizes = Enumerable.Range(0, lists.Lists).Select(l => lists.Start(l + 1) - lists.Start(l)).Order().ToArray();
            fields.Add(new("ivf_probes", m.IvfProbes));
            fields.Add(new("ivf_rows_per_list_min", sizes[0]));
            fields.Add(new("ivf_rows_per_list_median", sizes[sizes.Length / 2]));
            fields.Add(new("ivf_rows_per_list_max", sizes[^1]));
            fields.Add(new("ivf_empty_lists", sizes.Count(s => s == 0)));
        }
        fields.Add(new("bm25", $"k1 {m.K1.ToString(CultureInfo.InvariantCulture)}, b {m.B.ToString(CultureInfo.InvariantCulture)}, stemming {m.Stemming}"));
        fields.Add(new("files_without_text", m.NoText?.Count ?? 0));
        fields.Add(new("unreadable_files", m.Unreadable?.Count ?? 0));
        fields.Add(new("chunk_tokens", m.ChunkTokens));
        fields.Add(new("overlap_tokens", m.OverlapTokens));
        fields.Add(new("updated", m.Updated));
        fields.Add(new("bytes_on_disk", Directory.EnumerateFiles(index.Folder).Sum(f => new FileInfo(f).Length)));
        return fields;
    }
}
