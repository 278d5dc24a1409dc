using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Data.Inspect;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald data inspect FILE</c>: columns, rows, length histogram, duplicates, empty cells, languages and three examples;
/// of a FlagEmbedding training folder, each file's rows and what the thresholds make of it.
/// </summary>
internal sealed class DataInspectCommand : Command
{
    private readonly Argument<string> file = new("FILE") { Description = "A data file (.jsonl, .json, .csv, .tsv, .parquet or .txt), or a FlagEmbedding training folder" };
    private readonly Option<int?> small = CliOptions.Int("--small-threshold", "A training folder: files with fewer rows are merged into one data set (data.small_threshold; default 0)", min: 0);
    private readonly Option<int?> drop = CliOptions.Int("--drop-threshold", "A training folder: its merged small files are left out below this many rows (data.drop_threshold; default 0)", min: 0);
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "Count lengths in tokens of this tokenizer.json, model folder or hub id (default: words)", "FILE_OR_DIR");

    public DataInspectCommand() : base("inspect", "Check a data file before training: shape, lengths, duplicates, empty cells, languages, examples")
    {
        Arguments.Add(file);
        Options.Add(tokenizer);
        Options.Add(small);
        Options.Add(drop);
        SetAction(p =>
        {
            string path = p.GetValue(file)!;
            if (Directory.Exists(path))
            {
                Console.Write(DatasetInspector.InspectFolder(path, p.GetValue(small) ?? 0, p.GetValue(drop) ?? 0).Render());
                return 0;
            }
            if (p.GetValue(small) is not null || p.GetValue(drop) is not null)
                throw new Skald.Training.Config.TrainingException($"{path}: --small-threshold and --drop-threshold are a training folder's; this is a file");
            var report = DatasetInspector.Inspect(path, DataGenerateCommand.Counter(p.GetValue(tokenizer)));
            Console.Write(report.Render());
            return 0;
        });
    }
}
