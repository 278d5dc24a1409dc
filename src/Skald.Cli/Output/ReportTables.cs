using Skald.Evaluation.Benchmark;

namespace Skald.Cli.Output;

/// <summary>A benchmark report on the console: Spectre tables on a terminal, the Markdown report when redirected.</summary>
internal static class ReportTables
{
    /// <summary>The ranking with the mean score per task type (scores × 100); the full Markdown report when stdout is not a terminal.</summary>
    public static void Print(BenchmarkReport report, bool quiet)
    {
        if (Terminal.Stdout(quiet) is not { } console)
        {
            Console.WriteLine(report.ToMarkdown());
            return;
        }
        Ranking(report).Write(console, Console.Out);
    }

    /// <summary>Rank, model, Borda votes, overall mean (over the tasks done), tasks done and the mean of each task type.</summary>
    public static ResultTable Ranking(BenchmarkReport report)
    {
        var board = report.Board;
        var types = board.Types;
        var table = new ResultTable($"{report.Suite.Name}: {Skald.Tokenizers.Serialization.Counted.Of(board.Tasks.Count, "task")}, scores × 100",
            ["rank", "model", "Borda", "mean", "tasks done", .. types]);
        foreach (var m in report.RankedModels)
        {
            table.Add([$"{board.BordaRank[m]}", m, board.Borda[m].ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
                BenchmarkReport.Pct(board.Mean(m, _ => true)), $"{board.TasksScored[m]}/{board.Tasks.Count}", .. types.Select(ty => BenchmarkReport.Pct(board.Mean(m, t => t.Type == ty)))]);
        }
        return table;
    }
}
