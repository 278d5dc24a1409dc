using System.Globalization;
using Skald.Cli.Quickstart;

namespace Skald.Cli.Commands;

/// <summary><c>skald quickstart</c>: train Scandinavian embedding models from nothing on the bundled data, in minutes.</summary>
internal static class QuickstartCommand
{
    public const string Usage = "skald quickstart [--output DIR] [--samples DIR] [--budget X] [--mlm STEPS]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("quickstart", args, ["--output", "--samples", "--budget", "--mlm"]);
        double budget = 1.0;
        if (a.Get("--budget") is { } b && (!double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out budget) || budget <= 0))
            throw new UsageException($"option --budget must be a positive number, got '{b}'");
        var options = new QuickstartOptions
        {
            Output = a.Get("--output") ?? "out/quickstart",
            Samples = a.Get("--samples") ?? "samples",
            Budget = budget,
            MlmSteps = a.GetInt("--mlm", min: 0) ?? 0,
        };
        var report = new QuickstartRunner(options, Console.Error.WriteLine).Run();

        Console.WriteLine();
        Console.WriteLine("Held-out set (written for Skald, never trained on): nDCG@10 for retrieval, accuracy for triplets");
        Console.WriteLine();
        Console.WriteLine(report.ToMarkdown());
        string outDir = options.Output;
        Console.WriteLine($"""
            Models and report are in {outDir}/ (open {outDir}/report.html in a browser).

            Next steps:
              encode with the new model:
                dotnet run -c Release --project src/Skald.Cli -- encode --model {outDir}/bert --input samples/encode-example.txt --output embeddings.jsonl
              fine-tune a downloaded Hugging Face model instead (e.g. NbAiLab/nb-sbert-base in ~/models):
                dotnet run -c Release --project src/Skald.Cli -- train --config configs/train-example.yaml --set model.path=~/models/nb-sbert-base
            """);
        return 0;
    }
}
