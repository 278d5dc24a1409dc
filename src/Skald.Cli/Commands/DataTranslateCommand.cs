using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Data.Translate;

namespace Skald.Cli.Commands;

/// <summary><c>skald data translate</c>: chosen columns of a data set from one Scandinavian language to another (Apertium).</summary>
internal sealed class DataTranslateCommand : Command
{
    private readonly Option<string> data = CliOptions.Text("--data", "Data file (JSONL/CSV/TSV/Parquet/TXT)", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Translated data (.jsonl)", "FILE", required: true);
    private readonly Option<string> from = CliOptions.Text("--from", "Source language: nb, nn, da or sv", "LANG", required: true);
    private readonly Option<string> to = CliOptions.Text("--to", "Target language: nb, nn, da or sv", "LANG", required: true);
    private readonly Option<string> columns = CliOptions.Text("--columns", "Columns to translate, comma-separated (default: every text column)", "COL[,COL...]");
    private readonly Option<string> engine = CliOptions.Choice("--engine", "apertium: Debian's rule-based pairs (apertium-nno-nob, apertium-dan-nor, apertium-swe-nor, apertium-swe-dan)", "apertium", "apertium");
    private readonly Option<bool> parallel = CliOptions.Flag("--parallel", "Write (anchor = original, positive = translation) pairs instead of the translated rows");

    public DataTranslateCommand() : base("translate", "Translate columns of a data set between Bokmål, Nynorsk, Danish and Swedish")
    {
        foreach (var o in new Option[] { data, output, from, to, columns, engine, parallel }) Options.Add(o);
        SetAction(p =>
        {
            var translator = ApertiumTranslator.Create(p.GetValue(from)!, p.GetValue(to)!);
            string input = p.GetValue(data)!;
            var cols = CliOptions.Items(p.GetValue(columns));
            if (cols.Length == 0) cols = [.. Skald.Training.Data.DatasetReader.Read(input).Columns];
            int n = DatasetTranslator.Translate(input, p.GetValue(output)!, cols, texts => translator.Translate(texts), p.GetValue(parallel));
            if (!p.GetValue(CliOptions.Quiet)) Console.WriteLine($"wrote {n} rows to {p.GetValue(output)} (apertium {translator.Mode})");
            return 0;
        });
    }
}
