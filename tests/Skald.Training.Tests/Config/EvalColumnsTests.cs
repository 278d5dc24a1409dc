using Skald.Training.Config;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>data.eval_columns</c>: an evaluation file with columns of its own names (sentence-transformers matches an
/// eval_dataset's columns by position), where <c>data.columns</c> had to name columns every file has, so a triplet run
/// could not evaluate on a (question, answer) file; the same checks as data.columns, each line naming the key.
/// </summary>
public sealed class EvalColumnsTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private TrainingConfig Config(string extra)
    {
        string train = InfraPaths.WriteFile(dir, "train.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\", \"negative\": \"Bussen er sein.\", \"lang\": \"nn\"}}\n")));
        string eval = InfraPaths.WriteFile(dir, "eval.jsonl", string.Concat(Enumerable.Range(0, 4).Select(i =>
            $"{{\"id\": \"q{i}\", \"question\": \"Kor ligg kaia {i}?\", \"answer\": \"Kaia {i} ligg i sentrum.\"}}\n")));
        return ConfigLoader.Parse($$"""
            model: {path: m}
            data: {train: {{train}}, eval: {{eval}}, columns: [anchor, positive, negative]{{extra}}}
            output: {dir: out}
            """, "c.yaml");
    }

    [Fact]
    public void TheEvalFilePicksItsOwnColumns()
    {
        var (train, eval) = TrainingRun.ReadData(Config(", eval_columns: [question, answer]"));
        Assert.Equal(["anchor", "positive", "negative"], train[0].Columns);
        Assert.Equal(["question", "answer"], eval!.Columns);
        Assert.Equal("Kor ligg kaia 2?", eval.Rows[2][0]);
    }

    [Fact]
    public void WithoutItDataColumnsPicksTheEvalFilesAndSaysSo()
    {
        var e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config("")));
        Assert.EndsWith("eval.jsonl: no column 'anchor' (data.columns picks the columns of data.train, and of data.eval unless data.eval_columns " +
            "gives its own; the file has id, question, answer)", e.Message);
    }

    [Fact]
    public void AMissingColumnIsNamedAgainstTheKey()
    {
        var e = Assert.Throws<TrainingException>(() => TrainingRun.ReadData(Config(", eval_columns: [query, answer]")));
        Assert.EndsWith("eval.jsonl: no column 'query' (data.eval_columns; the file has id, question, answer)", e.Message);
    }

    [Theory]
    [InlineData(", eval_columns: [question, question]", "c.yaml:2: data.eval_columns names 'question' twice")]
    [InlineData(", eval_columns: {a: 1}", "c.yaml:2: data.eval_columns must be a name or a list of names")]
    public void ABadListIsOneLine(string extra, string expected)
    {
        Assert.Equal(expected, Assert.Throws<TrainingException>(() => Config(extra)).Message);
    }

    [Fact]
    public void WithoutDataEvalItIsRefused()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(
            "model: {path: m}\ndata: {train: t.jsonl, eval_split: 0.2, eval_columns: [a, b]}\noutput: {dir: out}\n", "c.yaml"));
        Assert.Equal("c.yaml:2: data.eval_columns picks the columns of data.eval, which is not given (data.eval_split holds out training rows, " +
            "whose columns data.columns picks)", e.Message);
    }
}
