using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Data.Inspect;

namespace Skald.Cli.Commands;

/// <summary><c>skald data inspect FILE</c>: columns, rows, length histogram, duplicates, empty cells, languages and three examples.</summary>
internal sealed class DataInspectCommand : Command
{
    private readonly Argument<string> file = new("FILE") { Description = "A data file: .jsonl, .csv, .tsv, .parquet or .txt" };
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "Count lengths in tokens of this tokenizer.json or model folder (default: words)", "FILE_OR_DIR");

    public DataInspectCommand() : base("inspect", "Check a data file before training: shape, lengths, duplicates, empty cells, languages, examples")
    {
        Arguments.Add(file);
        Options.Add(tokenizer);
        SetAction(p =>
        {
            var report = DatasetInspector.Inspect(p.GetValue(file)!, DataGenerateCommand.Counter(p.GetValue(tokenizer)));
            Console.Write(report.Render());
            return 0;
        });
    }
}
