using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Evaluation;
using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Search;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary><c>skald benchmark</c>: every task of a suite for every model; Markdown, JSON and HTML report.</summary>
internal sealed class BenchmarkCommand : Command
{
    private readonly Option<string> models = CliOptions.Text("--models", "Models to compare, comma-separated: model folders or hub ids (org/name[@revision]), bm25, hybrid:DIR, openai:URL#MODEL; a cross-encoder folder (BM25's top 100 reranked) or FIRST>CE (any of those reranked by the cross-encoder CE)", "A,B,...", required: true);
    private readonly Option<string> suite = CliOptions.Text("--suite", "Suite file listing the tasks (e.g. suites/scandinavian.json)", "FILE", required: true);
    private readonly Option<string> data = CliOptions.Text("--data", "Folder the suite's task paths are relative to", "DIR");
    private readonly Option<string> output = CliOptions.Text("--output", "Report path without extension: writes REPORT.md, REPORT.json and REPORT.html", "REPORT", required: true);
    private readonly Option<string> cache = CliOptions.Text("--cache", "Results and embeddings cache (default: $XDG_CACHE_HOME/skald/eval)", "DIR");
    private readonly Option<bool> noCache = CliOptions.Flag("--no-cache", "Compute every result again and cache nothing");
    private readonly Option<int?> limit = CliOptions.Int("--limit", "Use at most N examples per task: a seeded random sample of N queries of a retrieval task, or of N rows of a classification, clustering, STS or pairs task (such files are often sorted by label or topic)");
    private readonly Option<bool> chunk = CliOptions.Flag("--chunk", "Split long documents into chunks instead of truncating them (retrieval)");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Texts per forward pass", defaultValue: 32);
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly IvfCommandOptions ivf = new("Retrieval tasks: search as an IVF index would");
    private readonly HnswCommandOptions hnsw = new("Retrieval tasks: search as an HNSW index would");
    private readonly PrecisionOptions precision = new("Retrieval: every embedding model searches its documents' embeddings", rescoring: true);
    private readonly Option<int?> maxLength = CliOptions.Int("--max-length", "Truncate texts to N tokens (default: each model's max_seq_length)");
    private readonly Option<string> truncateDims = CliOptions.Text("--truncate-dim",
        "Also evaluate each dense model folder at these widths (sentence-transformers' truncate_dim: a Matryoshka model's first N values), one ranked entry per width, e.g. 256,64", "N[,N...]");
    private readonly Option<string> maxActiveDims = CliOptions.Text("--max-active-dims",
        "Evaluate each sparse model folder (SPLADE, CSR) with at most these many active dimensions, one ranked entry per count, e.g. 32,128", "N[,N...]");
    private readonly RemoteModels remote = new();

    public BenchmarkCommand() : base("benchmark", "Run every task of a suite for every model; ranking and Markdown/JSON/HTML report")
    {
        foreach (var o in new Option[] { models, suite, data, output, cache, noCache, limit, chunk, batchSize, maxLength, truncateDims, maxActiveDims, float32Matmul }) Options.Add(o);
        foreach (var o in precision.All) Options.Add(o);
        foreach (var o in ivf.All) Options.Add(o);
        foreach (var o in hnsw.All) Options.Add(o);
        foreach (var o in remote.All) Options.Add(o);
        CliOptions.AtMostOne(this, cache, noCache);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        var names = CliOptions.Items(p.GetValue(models));
        if (names.Length == 0) throw new UsageException("--models needs at least one model");
        string? cacheDir = p.GetValue(noCache) ? null : p.GetValue(cache) ?? DefaultCache();
        if (cacheDir is not null && File.Exists(cacheDir)) throw new InputException($"--cache {cacheDir}: is a file; name a folder (it is made if missing)");
        foreach (var extension in new[] { ".md", ".json", ".html" }) AtomicFile.CheckWritable(p.GetValue(output)! + extension); // before any task runs
        bool quiet = p.GetValue(CliOptions.Quiet);
        try
        {
            var loaded = Suite.Load(p.GetValue(suite)!, p.GetValue(data), p.GetValue(limit));
            // Ctrl-C while a remote model embeds: its request in flight finishes into the cache, no report is written
            using var ctrlC = new RemoteDrain(cacheDir, "--cache DIR and without --no-cache");
            BenchmarkReport? report;
            try
            {
                report = Run(p, loaded, names, cacheDir, ctrlC.Stop, quiet);
            }
            catch (OperationCanceledException) when (ctrlC.Requested)
            {
                report = null;
            }
            if (report is null || ctrlC.Requested)
            {
                Console.Error.WriteLine(ctrlC.Interrupted($"{p.GetValue(output)}.md, .json or .html"));
                return 130;
            }
            var paths = report.Write(p.GetValue(output)!);
            if (quiet) return 0;
            Terminal.Log($"{Counted.Of(report.Computed, "result")} computed, {report.Cached} cached; wrote {string.Join(", ", paths)}", quiet);
            if (Terminal.Stderr(quiet) is { } console)
            {
                ReportTables.Ranking(report).Write(console, Console.Error);
            }
            else
            {
                foreach (var m in report.RankedModels)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  #{report.Board.BordaRank[m]} {m}: Borda {report.Board.Borda[m]:F1}, mean {report.MeanOfTasksDone(m)}"));
                }
            }
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>The suite run for every model, the remote ones stopped by <paramref name="stop"/> (Ctrl-C).</summary>
    private BenchmarkReport Run(ParseResult p, Suite loaded, string[] names, string? cacheDir, Skald.Retrieval.Remote.RemoteStop? stop, bool quiet) =>
        BenchmarkRunner.Run(loaded, names, new BenchmarkOptions
        {
            CacheDirectory = cacheDir,
            Float32Matmul = Float32MatmulOption.Parse(p.GetValue(float32Matmul), quiet),
            Embedding = new EvaluationEmbeddingOptions { BatchSize = p.GetValue(batchSize) ?? 32, MaxLength = p.GetValue(maxLength) },
            Retrieval = new RetrievalOptions
            {
                LongDocuments = p.GetValue(chunk) ? LongDocuments.Chunk : LongDocuments.Truncate,
                Quantization = precision.Search(p),
                Ivf = ivf.Of(p),
                Hnsw = hnsw.Of(p),
            },
            Remote = spec => remote.Settings(p, spec, stop),
            ResolveModel = id => HubModels.Resolve(id, quiet),
            Bm25DocumentLanguage = Skald.Cli.Commands.Index.IndexSources.GuessedLanguage, // a mixed task's documents, each stemmed in its own language
            TruncateDims = Counts(p.GetValue(truncateDims), "--truncate-dim"),
            MaxActiveDims = Counts(p.GetValue(maxActiveDims), "--max-active-dims"),
            Log = quiet ? null : m => Terminal.Log(m, quiet),
        });

    /// <summary>A comma-separated list of counts of at least 1 (null when the option is absent); a bad one is a usage error.</summary>
    private static int[]? Counts(string? value, string option)
    {
        if (value is null) return null;
        var items = CliOptions.Items(value);
        if (items.Length == 0) throw new UsageException($"{option} needs at least one number");
        return [.. items.Select(item => int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n
            : throw new UsageException($"{option}: '{item}' is not a whole number of at least 1"))];
    }

    private static string DefaultCache()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "skald", "eval");
    }
}
