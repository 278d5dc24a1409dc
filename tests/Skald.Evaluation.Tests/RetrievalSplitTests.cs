using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;

namespace Skald.Evaluation.Tests;

/// <summary>
/// Which judgements a retrieval folder is scored on. <c>skald data generate</c> without <c>--test-fraction</c> writes
/// only qrels/train.tsv, the queries of pairs.jsonl; <c>skald evaluate --task</c> on it fell back to that one file and
/// scored a model tuned on those very queries as if on held-out ones, with nothing in the results saying so.
/// </summary>
public sealed class RetrievalSplitTests
{
    private static string Folder(params string[] splits)
    {
        string dir = BeirFolder.Write(
            "{\"_id\":\"d1\",\"text\":\"Toget går klokken ni.\"}\n{\"_id\":\"d2\",\"text\":\"Hytta ligger ved vannet.\"}\n",
            "{\"_id\":\"q1\",\"text\":\"Når går toget?\"}\n{\"_id\":\"q2\",\"text\":\"Hvor ligger hytta?\"}\n", null);
        Directory.CreateDirectory(Path.Combine(dir, "qrels"));
        foreach (var s in splits) File.WriteAllText(Path.Combine(dir, "qrels", s + ".tsv"), "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");
        return dir;
    }

    private static TaskResult Evaluate(string dir, string split = "test") =>
        TaskEvaluator.Create(TaskDefinition.FromPath(dir), new RetrievalOptions { Split = split }).Evaluate(new Bm25Model());

    [Fact]
    public void OnlyTrainingJudgementsAreRefusedUnlessTrainIsAskedFor()
    {
        string dir = Folder("train");
        var e = Assert.Throws<EvaluationException>(() => Evaluate(dir));
        Assert.StartsWith($"{dir}: no qrels/test.tsv; its only judgements, qrels/train.tsv, are of the training queries", e.Message);
        Assert.Contains("--split train", e.Message);
        var asked = Evaluate(dir, "train");
        Assert.Equal("train", asked.Metadata["split"]);
        Assert.Equal(1.0, asked.MainScore, 12);
    }

    [Fact]
    public void TheResultsNameTheSplitScored()
    {
        Assert.Equal("test", Evaluate(Folder("test", "train")).Metadata["split"]);
        Assert.Equal("dev", Evaluate(Folder("dev")).Metadata["split"]); // a task published with dev judgements alone
    }
}
