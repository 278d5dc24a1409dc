using System.Globalization;
using Skald.Cli.IO;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Cli.Commands;

/// <summary><c>skald evaluate</c>: one model (or BM25) on one task, results as MTEB-style JSON.</summary>
internal static class EvaluateCommand
{
    public const string Usage =
        "skald evaluate --model DIR|bm25|hybrid:DIR --task PATH [--type retrieval|sts|pairs|triplets|classification|clustering|bitext]\n" +
        "               [--output results.json] [--name NAME] [--language CODE] [--split test] [--limit N] [--chunk]\n" +
        "               [--batch-size N] [--max-length N] [--query-prompt TEXT] [--document-prompt TEXT] [--cache DIR]\n" +
        "               [--k1 X] [--b X] [--no-stem] [--quiet]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("evaluate", args,
            ["--model", "--task", "--type", "--output", "--name", "--language", "--split", "--limit", "--batch-size", "--max-length",
             "--query-prompt", "--document-prompt", "--cache", "--k1", "--b"],
            ["--chunk", "--no-stem", "--quiet"]);
        string modelSpec = a.Require("--model"), taskPath = a.Require("--task");
        string? output = a.Get("--output");
        try
        {
            var task = TaskDefinition.FromPath(taskPath, a.Get("--type") is { } t ? TaskDefinition.ParseKind(t) : null,
                a.Get("--name"), a.Get("--language"), a.GetInt("--limit"));
            var retrieval = new RetrievalOptions
            {
                Split = a.Get("--split") ?? "test",
                LongDocuments = a.Has("--chunk") ? LongDocuments.Chunk : LongDocuments.Truncate,
            };
            var model = CreateModel(modelSpec, a, retrieval.LongDocuments);
            var result = TaskEvaluator.Create(task, retrieval).Evaluate(model);
            string json = result.ToJson();
            if (output is null) Console.WriteLine(json);
            else AtomicFile.Write(output, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
            if (!a.Has("--quiet"))
                Console.Error.WriteLine($"{result.Task} ({result.Type}, {result.Model}): {result.MainMetric} = {result.MainScore:F4} in {result.Seconds:F1} s");
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>bm25 (with --k1/--b/--no-stem), hybrid:DIR, or a model folder.</summary>
    internal static IEvaluationModel CreateModel(string spec, CliArgs a, LongDocuments longDocuments)
    {
        var bm25 = new Bm25Options
        {
            Parameters = new Bm25Parameters(GetDouble(a, "--k1") ?? new Bm25Parameters().K1, GetDouble(a, "--b") ?? new Bm25Parameters().B),
            Stem = !a.Has("--no-stem"),
        };
        if (spec.Equals("bm25", StringComparison.OrdinalIgnoreCase)) return new Bm25Model(bm25);
        var options = new EncoderModelOptions
        {
            BatchSize = a.GetInt("--batch-size") ?? 32,
            MaxLength = a.GetInt("--max-length"),
            QueryPrompt = a.Get("--query-prompt"),
            DocumentPrompt = a.Get("--document-prompt"),
            CacheDirectory = a.Get("--cache"),
        };
        if (spec.StartsWith("hybrid:", StringComparison.OrdinalIgnoreCase))
            return new HybridRetriever(new Bm25Model(bm25), new DenseRetriever(EncoderModel.Load(spec["hybrid:".Length..], options), longDocuments));
        if (!Directory.Exists(spec)) throw new InputException($"{spec}: model folder not found (or use --model bm25)");
        return EncoderModel.Load(spec, options);
    }

    private static double? GetDouble(CliArgs a, string name)
    {
        string? s = a.Get(name);
        if (s is null) return null;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v)
            ? v
            : throw new UsageException($"option {name} must be a non-negative number, got '{s}'");
    }
}
