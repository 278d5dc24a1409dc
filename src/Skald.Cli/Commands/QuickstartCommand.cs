using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.Output;
using Skald.Cli.Quickstart;

namespace Skald.Cli.Commands;

/// <summary><c>skald quickstart</c>: train Scandinavian embedding models from nothing on the bundled data, in minutes.</summary>
internal sealed class QuickstartCommand : Command
{
    private readonly Option<string> output = CliOptions.Text("--output", "Folder for the models and the report", "DIR", "out/quickstart");
    private readonly Option<string> samples = CliOptions.Text("--samples",
        "The bundled samples folder, with data/ and quickstart-suite.json (default: ./samples, else the installed tool's copy)", "DIR");
    private readonly Option<double?> budget = CliOptions.Number("--budget", "Multiply every stage's training steps by X (0.2 for a quick look)", v => v > 0, "a positive number", defaultValue: 1.0);
    private readonly Option<int?> mlm = CliOptions.Int("--mlm", "Masked-LM pretraining steps before SimCSE (0: skip)", min: 0, defaultValue: 0, helpName: "STEPS");

    public QuickstartCommand() : base("quickstart", "Train Scandinavian embedding models from nothing on the bundled data and show a before/after table (~4 minutes on 2 cores)")
    {
        Options.Add(output);
        Options.Add(samples);
        Options.Add(budget);
        Options.Add(mlm);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var options = new QuickstartOptions
        {
            Output = p.GetValue(output) ?? "out/quickstart",
            Samples = p.GetValue(samples),
            Budget = p.GetValue(budget) ?? 1.0,
            MlmSteps = p.GetValue(mlm) ?? 0,
        };
        var runner = new QuickstartRunner(options, m => Terminal.Log(m, quiet));
        var report = runner.Run();

        Console.WriteLine();
        Console.WriteLine("Held-out set (written for Skald, never trained on): nDCG@10 for retrieval, accuracy for triplets");
        Console.WriteLine();
        ReportTables.Print(report, quiet);
        string outDir = options.Output;
        // In a clone, skald is `dotnet run` of its project and configs/ is there; the installed tool is `skald`.
        bool clone = File.Exists(Path.Combine("src", "Skald.Cli", "Skald.Cli.csproj"));
        string skald = clone ? "dotnet run -c Release --project src/Skald.Cli --" : "skald";
        string example = Path.Combine(runner.SamplesFolder!, "encode-example.txt");
        // Away from a clone, the tool's copy of the example config, its sample paths pointed at the tool's samples.
        string data = Path.Combine(runner.SamplesFolder!, "data");
        string train = clone ? "--config configs/train-example.yaml"
            : $"--config {Path.Combine(QuickstartFiles.ToolFolder, "configs", "train-example.yaml")} --set data.train={Path.Combine(data, "train-triplets.jsonl")} "
              + $"--set data.eval={Path.Combine(data, "eval", "triplets.jsonl")} --set evaluation.retrieval={Path.Combine(data, "eval", "retrieval")}";
        Console.WriteLine($"""

            Models and report are in {outDir}/ (open {outDir}/report.html in a browser).

            Next steps:
              encode with the new model:
                {skald} encode --model {outDir}/bert --input {example} --output embeddings.jsonl
              fine-tune a downloaded Hugging Face model instead (e.g. NbAiLab/nb-sbert-base in ~/models; the config documents every key):
                {skald} train {train} --set model.path=~/models/nb-sbert-base
            """);
        return 0;
    }
}
