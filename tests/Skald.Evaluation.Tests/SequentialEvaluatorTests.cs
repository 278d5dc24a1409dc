using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;

namespace Skald.Evaluation.Tests;

/// <summary>
/// <see cref="SequentialEvaluator"/> as sentence-transformers' SequentialEvaluator: every evaluator's result in order,
/// and one main score, by default the last evaluator's main score (here a retrieval task's nDCG@10 of 2/3 after an
/// STS task's Spearman of 1), or what a given function derives from all of them.
/// </summary>
public sealed class SequentialEvaluatorTests
{
    [Fact]
    public void TheMainScoreIsTheLastEvaluatorsUnlessAFunctionIsGiven()
    {
        string sts = Path.Combine(TestPaths.NewTempDir(), "s.tsv");
        File.WriteAllText(sts, "sentence1\tsentence2\tscore\nred\tgreen\t0.9\nred\tblue\t0.1\nred\tzzz\t0.5\n");
        string beir = BeirFolder.Write(
            "{\"_id\":\"d1\",\"text\":\"red apple\"}\n{\"_id\":\"d2\",\"text\":\"green pear\"}\n{\"_id\":\"d3\",\"text\":\"blue sky\"}\n",
            "{\"_id\":\"q1\",\"text\":\"red apple?\"}\n{\"_id\":\"q2\",\"text\":\"green\"}\n{\"_id\":\"q3\",\"text\":\"zzz\"}\n",
            "q1\td1\t1\nq2\td2\t1\nq3\td2\t0\n");
        var model = new FakeModel(new()
        {
            ["red"] = [1, 0, 0], ["green"] = [0.9f, 0.1f, 0], ["blue"] = [0, 0, 1], ["zzz"] = [0.5f, 0, 0.5f],
        });
        TaskEvaluator[] evaluators = [TaskEvaluator.Create(TaskDefinition.FromPath(sts)), TaskEvaluator.Create(TaskDefinition.FromPath(beir))];
        var run = new SequentialEvaluator(evaluators).Evaluate(model);
        Assert.Equal(["cosine_spearman", "ndcg_at_10"], run.Results.Select(r => r.MainMetric));
        Assert.Equal(1.0, run.Results[0].MainScore, 12);
        Assert.Equal(2.0 / 3, run.MainScore, 12);
        Assert.Equal((1.0 + 2.0 / 3) / 2, new SequentialEvaluator(evaluators, s => s.Average()).Evaluate(model).MainScore, 12);
    }
}
