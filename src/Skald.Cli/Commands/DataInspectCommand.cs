using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Data.Inspect;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald data inspect FILE</c>: columns, rows, length histogram, duplicates, empty cells, languages and three examples;
/// of a FlagEmbedding training folder, each file's rows and what the thresholds make of it. Given a model (<c>--model</c>,
/// or a model folder or hub id as <c>--tokenizer</c>), lengths are its tokens, and one line warns of the texts longer
/// than it reads (<see cref="PassageBudget.ModelReads"/>: what training and embedding cut).
/// </summary>
internal sealed class DataInspectCommand : Command
{
    private readonly Argument<string> file = new("FILE") { Description = "A data file (.jsonl, .json, .csv, .tsv, .parquet or .txt), or a FlagEmbedding training folder" };
    private readonly Option<int?> small = CliOptions.Int("--small-threshold", "A training folder: files with fewer rows are merged into one data set (data.small_threshold; default 0)", min: 0);
    private readonly Option<int?> drop = CliOptions.Int("--drop-threshold", "A training folder: its merged small files are left out below this many rows (data.drop_threshold; default 0)", min: 0);
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "Count lengths in tokens of this tokenizer.json, model folder or hub id (default: words)", "FILE_OR_DIR");
    private readonly Option<string> model = CliOptions.Text("--model",
        "Count lengths in tokens of this model (folder or hub id) and warn of the texts longer than it reads (its max_seq_length)", "DIR|ID");

    public DataInspectCommand() : base("inspect", "Check a data file before training: shape, lengths, duplicates, empty cells, languages, examples")
    {
        Arguments.Add(file);
        Options.Add(tokenizer);
        Options.Add(model);
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
            if (p.GetValue(tokenizer) is not null && p.GetValue(model) is not null)
                throw new UsageException("give --model or --tokenizer, not both (--model counts lengths in its tokenizer's tokens)");
            string? counted = p.GetValue(model) ?? p.GetValue(tokenizer);
            var report = DatasetInspector.Inspect(path, DataGenerateCommand.Counter(counted, p.GetValue(model) is null ? "--tokenizer" : "--model"));
            Console.Write(report.Render());
            if (PassageBudget.ModelReads(counted) is { } room && Truncated(report, room, counted!) is { } line) Console.WriteLine(line);
            return 0;
        });
    }

    /// <summary>
    /// The one line on the texts of <paramref name="report"/> longer than the <paramref name="room"/> the model
    /// <paramref name="named"/> reads: how many, their share of all texts, and the columns they are in; null when none is.
    /// </summary>
    internal static string? Truncated(DatasetReport report, (int Tokens, string Why) room, string named)
    {
        var texts = report.Columns.Where(c => !c.Numeric).ToList();
        int total = texts.Sum(c => c.Lengths.Count), over = texts.Sum(c => c.Lengths.Count(n => n > room.Tokens));
        if (over == 0) return null;
        string columns = string.Join(", ", texts.Select(c => (c.Name, Over: c.Lengths.Count(n => n > room.Tokens), All: c.Lengths.Count)).Where(c => c.Over > 0)
            .Select(c => $"{c.Name} {c.Over} of {c.All}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"warning: {over} of {Counted.Of(total, "text")} ({100.0 * over / total:0.#}%) are longer than the {room.Tokens} tokens {named} reads ({room.Why}) " +
            $"and are cut when it trains on or embeds them ({columns})");
    }
}
