using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Evaluation.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary><c>skald search</c>: one query against an index, dense (a late-interaction index: exact MaxSim over its token vectors; a BGE-M3 index: its stored outputs' weighted score), BM25 or hybrid, as a table or JSON.</summary>
internal sealed class SearchCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly Option<string> query = CliOptions.Text("--query", "The query text", "TEXT", required: true);
    private readonly Option<string> mode = CliOptions.Choice("--mode", "dense (embeddings), bm25, or hybrid (both, fused)", "hybrid", "dense", "bm25", "hybrid");
    private readonly Option<int?> topK = CliOptions.Int("--top-k", "Results to show", defaultValue: 10);
    private readonly Option<string> format = CliOptions.Choice("--format", "table, or json (one object with every field)", "table", "table", "json");
    private readonly Option<string> fusion = CliOptions.OptionalChoice("--fusion", "hybrid: rrf, convex or rerank (default: convex, z-score, alpha 0.3; measured, see README)", "rrf", "convex", "rerank");
    private readonly Option<double?> alpha = CliOptions.Number("--alpha", "hybrid convex: weight of the dense score", v => v is >= 0 and <= 1, "a number in [0, 1]");
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<string> rerank = CliOptions.Text("--rerank",
        "A cross-encoder (reranker) folder or hub id: the first --rerank-candidates results are scored against the query by it and shown best first, with its scores", "DIR|ID");
    private readonly Option<int?> candidates = CliOptions.Int("--rerank-candidates", "With --rerank: how many results the reranker scores", defaultValue: 50);
    private readonly Option<int?> rescore = PrecisionOptions.RescoreOption(
        "An index of quantized embeddings (index build --precision or --pq): dense hits are rescored with their float embeddings from the best k·N quantized ones (0: keep the quantized scores)");
    private readonly Option<int?> probes = CliOptions.Int("--probes",
        "An IVF index (index build --ivf-lists): lists dense search scans, nearest the query first (default: the index's --ivf-probes; more is slower and finds more)");
    private readonly Option<int?> ef = CliOptions.Int("--ef",
        "An HNSW index (index build --hnsw): candidates dense search keeps while it walks the graph (default: the index's --hnsw-ef; more is slower and finds more)");
    private readonly Option<int?> maxSimCandidates = CliOptions.Int("--maxsim-candidates",
        "A ColBERT index: score by exact MaxSim only the N rows whose mean token vector is nearest the query's (a candidate stage: faster, approximate; default: every row)");
    private readonly Option<int?> plaidCells = CliOptions.Int("--plaid-ncells",
        "A PLAID index (index build --plaid): centroids probed per query token (default as ColBERTv2: 1 for k <= 10, 2 for k <= 100, else 4)");
    private readonly Option<int?> plaidDocs = CliOptions.Int("--plaid-ndocs",
        "A PLAID index: candidates the centroid-interaction stage keeps (ndocs / 4 are decompressed and scored; default as ColBERTv2: 256, 1024, or max(4k, 4096))");
    private readonly Option<double?> minScore = CliOptions.Number("--min-score",
        "--mode dense or bm25: keep the hits scoring at least X (the similarity or the BM25 score, before any --rerank); refused with hybrid, whose scores are relative", double.IsFinite, "a finite number");
    private readonly Option<string> model = IndexOptions.MovedModel();
    private readonly Option<string[]> source = new("--source")
    {
        Description = "Only results read from a file matching this pattern (* any characters, slashes too; ? one), e.g. \"*/hr/*\" or \"*.pdf\"; repeatable: any of them",
        HelpName = "PATTERN",
    };
    private readonly Option<string[]> where = new("--where")
    {
        Description = "Only results of .jsonl documents whose FIELD (one of their own columns) is VALUE, or compares with it: FIELD>VALUE, >=, <, <=, != " +
            "(numbers as numbers, yyyy-mm-dd dates as dates, else text by ordinal order; a missing field never passes; spaces around the operator are ignored); " +
            "repeatable: a field given twice with = " +
            "takes either value, everything else must all hold",
        HelpName = "FIELD=VALUE|FIELD>=VALUE|...",
    };
    private readonly Option<string> bgeM3Weights = BgeM3Options.Weights("over a BGE-M3 index (index build --bge-m3), the search", "1 for each output the index stores");
    private readonly Option<bool> causalLm = CliOptions.Flag("--rerank-causal-lm", "The --rerank model is a causal LM that answers yes or no (Qwen3-Reranker as published; as skald rerank --causal-lm)");

    public SearchCommand() : base("search", "Search an index made by 'skald index build'")
    {
        foreach (var o in new Option[] { index, model, query, mode, topK, format, fusion, alpha, rerank, candidates, causalLm, rescore, probes, ef, maxSimCandidates, source, where, bgeM3Weights, minScore, float32Matmul }) Options.Add(o);
        foreach (var o in new Option[] { plaidCells, plaidDocs }) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string text = p.GetValue(query)!;
        if (text.Trim().Length == 0) throw new UsageException("--query is empty");
        if (p.GetValue(causalLm) && p.GetValue(rerank) is null) throw new UsageException("--rerank-causal-lm needs --rerank DIR");
        var searchMode = p.GetValue(mode) switch { "dense" => SearchMode.Dense, "bm25" => SearchMode.Bm25, _ => SearchMode.Hybrid };
        var options = FusionOptions.Default;
        if (p.GetValue(fusion) is { } f) options = options with { Mode = FusionOptions.ParseMode(f)!.Value };
        if (p.GetValue(alpha) is { } a) options = options with { Alpha = a };
        // fusion settings of a search that fuses nothing: one line, not a result the user takes for fused
        if (searchMode != SearchMode.Hybrid && (p.GetValue(fusion) is not null || p.GetValue(alpha) is not null))
            throw new UsageException($"{(p.GetValue(fusion) is not null ? "--fusion" : "--alpha")} applies to --mode hybrid; this search is --mode {p.GetValue(mode)}");
        if (p.GetValue(minScore) is not null && ScoreThreshold.Refusal(searchMode) is { } refusal) throw new UsageException($"--min-score {refusal}");
        if (p.GetValue(alpha) is not null && options.Mode != HybridMode.Convex)
            throw new UsageException($"--alpha weighs the dense side of --fusion convex; --fusion {p.GetValue(fusion)} has no weight");
        try
        {
            using var searchIndex = SearchIndex.Open(p.GetValue(index)!);
            RefuseSettingsTheIndexHasNo(p, searchIndex.Manifest);
            int k = p.GetValue(topK) ?? 10;
            string? reranker = p.GetValue(rerank);
            int wanted = reranker is null ? k : Math.Max(k, p.GetValue(candidates) ?? 50);
            float[]? vector = null;
            Skald.Models.LateInteraction.TokenVectors? tokens = null;
            Skald.Models.BgeM3.BgeM3Output? m3 = null;
            var weights = BgeM3Weights(p, searchIndex);
            if (searchMode != SearchMode.Bm25 && searchIndex.IsBgeM3)
            {
                string dir = IndexOptions.ModelOf(searchIndex.Manifest, p.GetValue(index)!, p.GetValue(model), "(--mode bm25 still works)");
                using var m3Model = IndexOptions.BgeM3Model(searchIndex.Manifest, p.GetValue(index)!, dir);
                Float32MatmulOption.Apply(m3Model.Encoder, p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
                m3 = m3Model.Encode([text], TextRole.Query, weights.Needed)[0];
            }
            else if (searchMode != SearchMode.Bm25 && searchIndex.IsMultiVector)
            {
                string dir = IndexOptions.ModelOf(searchIndex.Manifest, p.GetValue(index)!, p.GetValue(model), "(--mode bm25 still works)");
                using var late = IndexOptions.LateInteractionModel(searchIndex.Manifest, p.GetValue(index)!, dir);
                Float32MatmulOption.Apply(late.Encoder, p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
                tokens = late.Encode([text], TextRole.Query)[0];
            }
            else if (searchMode != SearchMode.Bm25)
            {
                string dir = IndexOptions.ModelOf(searchIndex.Manifest, p.GetValue(index)!, p.GetValue(model), "(--mode bm25 still works)");
                int active = searchIndex.Manifest.MaxActiveDims;
                // as the rows; read as ModelOf checked it (a hub base from the cache, not a newer revision)
                using (var embedder = EvaluationEmbeddingModel.Load(dir, new EvaluationEmbeddingOptions
                {
                    MaxActiveDims = active > 0 ? active : null, HubCacheOnly = true,
                    QueryPrompt = searchIndex.Manifest.QueryInstruction, // an LLM2Vec index's queries: the instruction it was built for
                }))
                {
                    Float32MatmulOption.Apply(embedder.Encoder, p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
                    vector = embedder.Embed([text], TextRole.Query)[0];
                    if (searchIndex.Manifest.Similarity == "cosine" && embedder.Similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan
                        && searchIndex.Manifest.IvfLists == 0 && searchIndex.Manifest.HnswM == 0)
                        Console.Error.WriteLine($"note: {p.GetValue(index)} records cosine (built before Skald ranked an index by the model's distance); " +
                            $"it is ranked by cosine, not {Similarities.Name(embedder.Similarity)}: build it again to rank by the distance");
                }
                int dim = searchIndex.Manifest.Dimension;
                if (vector.Length != dim && !(searchIndex.Manifest.TruncateDim > 0 && vector.Length > dim))
                    throw new InputException($"{p.GetValue(index)}: it holds {dim}-value vectors, its model {dir} now makes {vector.Length}; rebuild the index (or --mode bm25)");
            }
            var filter = Filter(p.GetValue(source), p.GetValue(where));
            var hits = searchIndex.IsBgeM3
                ? searchIndex.SearchBgeM3(text, m3, weights, searchMode, wanted, options, filter, Plaid(p))
                : searchIndex.IsMultiVector
                ? searchIndex.SearchTokens(text, tokens, searchMode, wanted, options, filter, p.GetValue(maxSimCandidates) ?? 0, Plaid(p))
                : searchIndex.Search(text, vector, searchMode, wanted, options, p.GetValue(rescore) ?? 2, p.GetValue(probes) ?? 0, p.GetValue(ef) ?? 0, filter);
            hits = ScoreThreshold.Apply(hits, p.GetValue(minScore));
            if (reranker is not null) hits = Rerank(reranker, p.GetValue(causalLm), text, hits, k, p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
            string? fused = searchMode == SearchMode.Hybrid ? options.Describe() : null;
            if (p.GetValue(format) == "json")
                WriteJson(text, p.GetValue(mode)!, fused, searchMode != SearchMode.Bm25 && reranker is null && searchIndex.Manifest.ByDistance ? searchIndex.Manifest.Similarity : null, hits);
            else
            {
                var table = new ResultTable($"{Counted.Of(hits.Count, "result")} for \"{text}\" ({p.GetValue(mode)}{(fused is null ? "" : ": " + fused)})", "#",
                    ScoreHeader(searchMode, options, reranker is not null, searchIndex.Manifest), "id", "text");
                for (int i = 0; i < hits.Count; i++)
                    table.Add((i + 1).ToString(CultureInfo.InvariantCulture), (hits[i].ScaledScore ?? hits[i].Score).ToString("F4", CultureInfo.InvariantCulture),
                        hits[i].Record.Id, Snippets.Of(hits[i].Record.FullText));
                table.Write(Terminal.Stdout(p.GetValue(CliOptions.Quiet)), Console.Out);
            }
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>
    /// The table's score column, named for what it shows: a hybrid search's fused score in [0, 1] (<see cref="IndexHit.ScaledScore"/>:
    /// RRF's over its largest, 1 first in both lists; a convex combination's between the least and the best of the
    /// candidates), re-ranking's dense score, BM25's, or the reranker's; JSON keeps the raw fused score beside it. A
    /// Euclidean or Manhattan index's dense score is its negated distance, named so (<paramref name="manifest"/>).
    /// </summary>
    private static string ScoreHeader(SearchMode mode, FusionOptions options, bool reranked, IndexManifest manifest) =>
        reranked ? "reranker score"
        : mode == SearchMode.Bm25 ? "bm25"
        : mode == SearchMode.Dense ? manifest.ByDistance ? $"-{manifest.Similarity} distance" : "score"
        : options.Mode switch
        {
            HybridMode.Rerank => manifest.ByDistance ? $"dense -{manifest.Similarity} distance" : "dense score",
            HybridMode.ReciprocalRankFusion => "rrf (0-1)",
            _ => "fused (0-1)",
        };

    /// <summary>
    /// A per-query setting of an index kind this index is not (<c>--probes</c> without IVF lists, <c>--ef</c> without an
    /// HNSW graph, <c>--rescore-multiplier</c> over float32 rows) is a usage error naming it, never silently ignored, as
    /// <c>evaluate --rescore-multiplier</c> without <c>--precision</c> is.
    /// </summary>
    private void RefuseSettingsTheIndexHasNo(ParseResult p, IndexManifest manifest)
    {
        string name = p.GetValue(index)!;
        if (p.GetValue(probes) is not null && manifest.IvfLists == 0)
            throw new UsageException($"--probes applies to an IVF index (index build --ivf-lists); {name} has no lists, its dense search scans every row");
        if (p.GetValue(maxSimCandidates) is not null && manifest.MultiVector is null)
            throw new UsageException($"--maxsim-candidates applies to a late-interaction (ColBERT) index; {name} holds one vector a row");
        bool plaidGiven = p.GetValue(plaidCells) is not null || p.GetValue(plaidDocs) is not null;
        if (plaidGiven && manifest.TokenPrecision != "plaid")
            throw new UsageException($"{(p.GetValue(plaidCells) is not null ? "--plaid-ncells" : "--plaid-ndocs")} applies to a PLAID index (index build --plaid); {name} is not one");
        if (plaidGiven && p.GetValue(maxSimCandidates) is not null)
            throw new UsageException("--maxsim-candidates and --plaid-ncells / --plaid-ndocs are two candidate stages; choose one");
        if (p.GetValue(ef) is not null && manifest.HnswM == 0)
            throw new UsageException($"--ef applies to an HNSW index (index build --hnsw); {name} has no graph");
        if (p.GetResult(rescore) is { Implicit: false } && manifest.Precision == "float32" && manifest.PqSubspaces == 0)
            throw new UsageException($"--rescore-multiplier applies to an index of quantized rows (index build --precision or --pq); {name} holds float32 rows only");
    }

    /// <summary>A PLAID index's search settings from <c>--plaid-ncells</c> / <c>--plaid-ndocs</c> (null when neither is given: the defaults).</summary>
    private Skald.Retrieval.Plaid.PlaidSearchOptions? Plaid(ParseResult p) =>
        p.GetValue(plaidCells) is null && p.GetValue(plaidDocs) is null ? null
        : new Skald.Retrieval.Plaid.PlaidSearchOptions { Cells = p.GetValue(plaidCells) ?? 0, Documents = p.GetValue(plaidDocs) ?? 0 };

    /// <summary>
    /// A BGE-M3 index's weights: <c>--bge-m3-weights</c>, else 1 for each output it stores (<see cref="TextIndex.DefaultWeights"/>);
    /// weights that use an output it does not store, or the option on another index, are a usage error in one line.
    /// </summary>
    private Skald.Models.BgeM3.BgeM3Weights BgeM3Weights(ParseResult p, SearchIndex searchIndex)
    {
        string? given = p.GetValue(bgeM3Weights);
        if (!searchIndex.IsBgeM3)
        {
            if (given is not null) throw new UsageException($"--bge-m3-weights applies to a BGE-M3 index (index build --bge-m3); {p.GetValue(index)} is not one");
            return Skald.Models.BgeM3.BgeM3Weights.Equal;
        }
        return BgeM3Options.ForIndex(given, searchIndex);
    }

    /// <summary>The cross-encoder's best <paramref name="k"/> of <paramref name="hits"/>, each with its score.</summary>
    private static IReadOnlyList<IndexHit> Rerank(string model, bool causalLm, string query, IReadOnlyList<IndexHit> hits, int k, string? float32, bool quiet)
    {
        using var crossEncoder = Rerankers.Load(model, quiet, causalLm);
        if (hits.Count == 0) return hits;
        // inference only: its float32 Linear weights held once, packed for the precision asked
        QuantizeOption.Apply(Float32MatmulOption.Apply(crossEncoder, float32, quiet), null, quiet);
        return [.. crossEncoder.Rank(query, [.. hits.Select(h => h.Record.FullText)], k).Select(r => hits[r.Index] with { Score = r.Score, ScaledScore = null })];
    }

    /// <summary>The hits as one JSON object; <paramref name="distance"/>: the Euclidean or Manhattan function whose negated distance the dense scores are (null: none).</summary>
    private static void WriteJson(string text, string mode, string? fusion, string? distance, IReadOnlyList<IndexHit> hits)
    {
        using var stdout = Terminal.OpenStdoutBytes();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("query", text);
            w.WriteString("mode", mode);
            if (fusion is not null) w.WriteString("fusion", fusion); // how "score" was fused; "scaled_score" shows it in [0, 1]
            if (distance is not null) w.WriteString("similarity", distance); // the dense scores are its negated distance
            w.WriteStartArray("results");
            foreach (var h in hits)
            {
                w.WriteStartObject();
                w.WriteString("id", h.Record.Id);
                w.WriteNumber("score", h.Score);
                if (h.ScaledScore is { } scaled) w.WriteNumber("scaled_score", scaled);
                h.Record.WriteLocation(w);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }

    /// <summary>
    /// --source and --where as a filter (neither: every row); an empty pattern, or a condition without a field name and an
    /// operator (the first <c>=</c>, <c>!=</c>, <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c> or <c>&gt;=</c> in it), is a usage error.
    /// </summary>
    private static IndexFilter? Filter(string[]? patterns, string[]? conditions)
    {
        if (patterns?.Any(string.IsNullOrEmpty) == true) throw new UsageException("option --source must not be empty");
        var fields = new List<KeyValuePair<string, IReadOnlyList<string>>>();
        var comparisons = new List<FieldComparison>();
        foreach (string c in conditions ?? [])
        {
            int at = 0;
            while (at < c.Length && c[at] is not ('=' or '<' or '>') && !(c[at] == '!' && at + 1 < c.Length && c[at + 1] == '=')) at++;
            int length = at < c.Length && c[at] != '=' && at + 1 < c.Length && c[at + 1] == '=' ? 2 : 1;
            // spaces around the operator ("year >= 2020") belong to neither side: " 2020" would compare as text
            string field = c[..at].TrimEnd(), op = at < c.Length ? c.Substring(at, length) : "", value = at < c.Length ? c[(at + length)..].TrimStart() : "";
            if (field.Length == 0 || op.Length == 0) throw new UsageException($"option --where {c}: expected FIELD=VALUE, or FIELD>VALUE (>=, <, <=, !=)");
            ComparisonOperator? comparison = op switch
            {
                "!=" => ComparisonOperator.NotEqual,
                ">" => ComparisonOperator.Greater,
                ">=" => ComparisonOperator.GreaterOrEqual,
                "<" => ComparisonOperator.Less,
                "<=" => ComparisonOperator.LessOrEqual,
                _ => null,
            };
            try
            {
                if (comparison is { } o) comparisons.Add(new FieldComparison(field, o, value));
                else fields.Add(new(field, [value]));
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"option --where {c}: {e.Message.Split(" (Parameter")[0]}");
            }
        }
        if ((patterns?.Length ?? 0) == 0 && fields.Count == 0 && comparisons.Count == 0) return null;
        try
        {
            return new IndexFilter(patterns, fields, comparisons);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"option {(e.ParamName == "sources" ? "--source" : "--where")}: {e.Message.Split(" (Parameter")[0]}");
        }
    }
}
