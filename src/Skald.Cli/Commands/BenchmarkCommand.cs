using Skald.Cli.IO;
using Skald.Evaluation.Benchmark;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Search;

namespace Skald.Cli.Commands;

/// <summary><c>skald benchmark</c>: every task of a suite for every model; Markdown, JSON and HTML report.</summary>
internal static class BenchmarkCommand
{
    public const string Usage =
        "skald benchmark --models A,B,... (model folders, bm25, hybrid:DIR) --suite FILE [--data DIR] --output REPORT\n" +
        "                [--cache DIR | --no-cache] [--limit N] [--chunk] [--batch-size N] [--max-length N] [--quiet]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("benchmark", args,
            ["--models", "--suite", "--data", "--output", "--cache", "--limit", "--batch-size", "--max-length"],
            ["--no-cache", "--chunk", "--quiet"]);
        var models = a.Require("--models").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string suitePath = a.Require("--suite"), output = a.Require("--output");
        if (models.Length == 0) throw new UsageException("--models needs at least one model");
        if (a.Has("--cache") && a.Has("--no-cache")) throw new UsageException("give --cache or --no-cache, not both");
        string? cache = a.Has("--no-cache") ? null : a.Get("--cache") ?? DefaultCache();
        bool quiet = a.Has("--quiet");
        try
        {
            var suite = Suite.Load(suitePath, a.Get("--data"), a.GetInt("--limit"));
            var report = BenchmarkRunner.Run(suite, models, new BenchmarkOptions
            {
                CacheDirectory = cache,
                Encoder = new EncoderModelOptions { BatchSize = a.GetInt("--batch-size") ?? 32, MaxLength = a.GetInt("--max-length") },
                Retrieval = new RetrievalOptions { LongDocuments = a.Has("--chunk") ? LongDocuments.Chunk : LongDocuments.Truncate },
                Log = quiet ? null : m => Console.Error.WriteLine(m),
            });
            var paths = report.Write(output);
            if (!quiet)
            {
                Console.Error.WriteLine($"{report.Computed} results computed, {report.Cached} cached; wrote {string.Join(", ", paths)}");
                foreach (var m in report.RankedModels)
                    Console.Error.WriteLine($"  #{report.Board.BordaRank[m]} {m}: Borda {report.Board.Borda[m]:F1}, mean {BenchmarkReport.Pct(report.Board.Mean(m, _ => true))}");
            }
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    private static string DefaultCache()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "skald", "eval");
    }
}
