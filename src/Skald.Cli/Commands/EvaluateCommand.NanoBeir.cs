using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Evaluation.Evaluators;
using Skald.Hub;
using Skald.Models.CrossEncoders;
using Skald.Retrieval;
using Skald.Retrieval.Models;

namespace Skald.Cli.Commands;

// EvaluateCommand, continued: --nanobeir, an embedding model as NanoBEIREvaluator scores it or a cross-encoder as
// CrossEncoderNanoBEIREvaluator does.
internal sealed partial class EvaluateCommand
{
    /// <summary>
    /// --nanobeir: the named NanoBEIR datasets fetched through the hub cache and scored as sentence-transformers'
    /// NanoBEIREvaluator scores an embedding model (<see cref="NanoBeirEvaluator"/>), or, when --model is a
    /// cross-encoder, as its CrossEncoderNanoBEIREvaluator scores one (<see cref="CrossEncoderNanoBeirEvaluator"/>:
    /// each query's first --rerank-candidates BM25 documents reranked, --at-k and --always-rerank-positives upstream's
    /// at_k and always_rerank_positives); options of a task or of the other model kind are refused.
    /// </summary>
    private int NanoBeir(ParseResult p, string? outputPath)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string spec = p.GetValue(model)!;
        string local = Directory.Exists(spec) ? spec : HubId.TryParse(spec) is not null ? HubModels.Resolve(spec, quiet) : spec;
        bool crossEncoder = Directory.Exists(local) && CrossEncoder.IsCrossEncoder(local);
        var applies = new HashSet<Option>(crossEncoder
            ? [model, nanobeir, nanobeirDataset, output, batchSize, quantize, rerankCandidates, atK, alwaysRerankPositives]
            : [model, nanobeir, nanobeirDataset, nanobeirQueryPrompt, nanobeirCorpusPrompt, output, batchSize, maxLength, queryPrompt, documentPrompt, maxActiveDims, truncateDim, cache, quantize, .. remote.All]);
        foreach (var o in Options)
        {
            if (!applies.Contains(o) && p.GetResult(o) is { Implicit: false })
                throw new UsageException(crossEncoder
                    ? $"{o.Name} does not apply with --nanobeir and a cross-encoder (it reranks each dataset's BM25 candidates, as sentence-transformers' CrossEncoderNanoBEIREvaluator)"
                    : $"{o.Name} does not apply with --nanobeir (it evaluates an embedding model on the NanoBEIR datasets, or a cross-encoder given as --model)");
        }
        try
        {
            string? names = p.GetValue(nanobeir);
            if (crossEncoder)
            {
                var sets = string.IsNullOrWhiteSpace(names) ? CrossEncoderNanoBeirEvaluator.DefaultDatasets : NanoBeirDataset.Parse(names);
                using var owned = new LoadedModels();
                var ce = QuantizeOption.Apply(owned.Own(Rerankers.Load(local, quiet)), p.GetValue(quantize), quiet);
                var evaluator = new CrossEncoderNanoBeirEvaluator(Downloaded(p, sets, quiet), p.GetValue(rerankCandidates) ?? 100,
                    p.GetValue(atK) ?? 10, p.GetValue(alwaysRerankPositives) != "false");
                return Written(p, evaluator.Result(ce, new CrossEncoderOptions { BatchSize = p.GetValue(batchSize) ?? 32 }), outputPath);
            }
            var datasets = NanoBeirDataset.Parse(names);
            var queries = Prompts(p, datasets, nanobeirQueryPrompt, queryPrompt, "query");
            var corpora = Prompts(p, datasets, nanobeirCorpusPrompt, documentPrompt, "document");
            using var loaded = new LoadedModels();
            // loaded once: a dataset with its own prompts is embedded by a view of it with them (NanoBeirEvaluator)
            if (CreateModel(p, new RetrievalOptions(), loaded) is not IEmbeddingModel embedder)
                throw new UsageException($"--nanobeir evaluates an embedding model or a cross-encoder; {p.GetValue(model)} is neither");
            var data = Downloaded(p, datasets, quiet);
            return Written(p, new NanoBeirEvaluator(data, p.GetValue(truncateDim) ?? p.GetValue(maxActiveDims), queries, corpora).Evaluate(embedder), outputPath);
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>The datasets fetched through the hub cache (from --nanobeir-dataset when given), each with a progress bar.</summary>
    private List<NanoBeirData> Downloaded(ParseResult p, IReadOnlyList<NanoBeirDataset> datasets, bool quiet)
    {
        bool online = !HubSettings.FromEnvironment().Offline;
        string? from = p.GetValue(nanobeirDataset);
        return [.. datasets.Select(d => ProgressView.Run($"downloading {(from is null ? d.HubId : $"{from} {d.DisplayName}")}", online, quiet, bar =>
            NanoBeirData.FromHub(d, from, new HubProgressReporter(h => bar.Report(h.Bytes, h.TotalBytes, $"{h.Files}/{h.TotalFiles} files")))))];
    }

    /// <summary>
    /// The per-dataset prompts of <paramref name="perDataset"/> (NAME=TEXT entries) by dataset name, a dataset without an
    /// entry taking <paramref name="fallback"/>'s prompt (one line when it is not given either); null without entries.
    /// </summary>
    private static Dictionary<string, string>? Prompts(ParseResult p, IReadOnlyList<NanoBeirDataset> datasets, Option<string[]> perDataset, Option<string> fallback, string role)
    {
        var given = NanoBeirDataset.ParsePrompts(p.GetValue(perDataset) ?? [], perDataset.Name);
        if (given.Count == 0) return null;
        string? rest = p.GetValue(fallback);
        if (rest is null && datasets.Where(d => !given.ContainsKey(d)).Select(d => d.ShortName).ToList() is { Count: > 0 } missing)
            throw new UsageException($"{perDataset.Name}: no {role} prompt for {string.Join(", ", missing)} (give each one, or {fallback.Name} for the rest)");
        return datasets.ToDictionary(d => d.DisplayName, d => given.GetValueOrDefault(d) ?? rest!, StringComparer.Ordinal);
    }
}
