using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>data.eval_split</c> holds out rows of the first training file: a count that leaves no row to train on is one
/// line (it was cut to all rows but one, and the run trained on that one row, then failed on its batch size), and so is
/// a split beside <c>data.eval</c> (it was ignored: only data.eval was evaluated).
/// </summary>
public sealed class EvalSplitTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string WriteRows() => InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 12).Select(i =>
        $"{{\"anchor\": \"Kor mykje kostar billett {i}?\", \"positive\": \"Billett {i} kostar {10 * i} kroner.\"}}\n")));

    [Theory]
    [InlineData("12")]
    [InlineData("100")]
    public void ASplitOfEveryRowIsNamed(string split)
    {
        var config = ConfigLoader.Parse($"model:\n  path: m\ndata:\n  train: {WriteRows()}\n  eval_split: {split}\noutput:\n  dir: out\n", "c.yaml");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(config));
        Assert.Equal($"data.eval_split {split} holds out every row of {Path.Combine(dir, "pairs.jsonl")} (12 rows); hold out fewer, or give a fraction such as 0.1", e.Message);
    }

    [Theory]
    [InlineData("11", 1, 11)]
    [InlineData("0.25", 9, 3)]
    public void ASplitThatLeavesRowsHoldsThemOut(string split, int train, int eval)
    {
        var config = ConfigLoader.Parse($"model:\n  path: m\ndata:\n  train: {WriteRows()}\n  eval_split: {split}\noutput:\n  dir: out\n", "c.yaml");
        var (trainRows, evalRows) = TrainingRun.ReadData(config);
        Assert.Equal(train, trainRows[0].Count);
        Assert.Equal(eval, evalRows!.Count);
    }

    [Fact]
    public void ASplitBesideAnEvalFileIsNamed()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            "model:\n  path: m\ndata:\n  train: d.jsonl\n  eval: e.jsonl\n  eval_split: 0.1\noutput:\n  dir: out\n", "c.yaml"));
        Assert.Equal("c.yaml:6: data.eval_split holds out training rows for evaluation, and data.eval gives the evaluation rows already; set one of them", e.Message);
        // eval_split: 0 (none), as configs/train-example.yaml writes it beside its eval file, is fine.
        Assert.Equal("e.jsonl", ConfigLoader.Parse("model:\n  path: m\ndata:\n  train: d.jsonl\n  eval: e.jsonl\n  eval_split: 0\noutput:\n  dir: out\n", "c.yaml").Data.Eval);
    }
}
