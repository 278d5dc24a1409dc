using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>evaluation.tasks</c> scores an embedding model's embeddings (<c>skald evaluate</c>'s task files) or, under a
/// cross-encoder loss, reranking tasks the cross-encoder orders (sentence-transformers' CrossEncoderRerankingEvaluator,
/// <c>CrossEncoderRerankingTaskTests</c>). A causal_lm run replaced the evaluators those tasks built with its own over
/// the eval rows, so the key was read and then ignored without a word; it is one line at config load naming it. The
/// reranking entries' <c>at_k</c> and <c>always_rerank_positives</c> are one line under an embedding loss.
/// </summary>
public sealed class EvaluationTasksLossTests
{
    private const string Head = MinimalConfig.Yaml + "\nloss:\n";

    [Fact]
    public void TasksUnderACausalLmAreOneLine()
    {
        string yaml = Head + "  type: causal_lm\nevaluation:\n  tasks: [sts.tsv]\n";
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(yaml, "c.yaml"));
        Assert.Equal("c.yaml:10: evaluation.tasks scores an embedding model's embeddings or a cross-encoder's rankings; a causal LM (loss.type causal_lm) is evaluated on its eval rows (data.eval or data.eval_split)", e.Message);
        Assert.Empty(ConfigLoader.Parse(Head + "  type: causal_lm\n", "c.yaml").Evaluation.Tasks); // without the key the run is as before
    }

    [Theory]
    [InlineData("bce")]
    [InlineData("lambda")]
    public void ACrossEncoderKeepsItsRerankingTasksAndTheirOptions(string type)
    {
        var c = ConfigLoader.Parse(Head + $"  type: {type}\nevaluation:\n  tasks:\n    - r.jsonl\n    - {{path: s.jsonl, at_k: 3, always_rerank_positives: false}}\n", "c.yaml");
        Assert.Equal(["r.jsonl", "s.jsonl"], c.Evaluation.Tasks);
        Assert.Equal((3, false), (c.Evaluation.TaskEntries["s.jsonl"].AtK, c.Evaluation.TaskEntries["s.jsonl"].AlwaysRerankPositives));
    }

    [Theory]
    [InlineData("at_k: 3", "at_k")]
    [InlineData("always_rerank_positives: false", "always_rerank_positives")]
    public void RerankingOptionsUnderAnEmbeddingLossAreOneLine(string option, string key)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Head + $"  type: mnrl\nevaluation:\n  tasks:\n    - {{path: s.jsonl, {option}}}\n", "c.yaml"));
        Assert.Equal($"c.yaml:11: {key} is a cross-encoder's reranking task's (CrossEncoderRerankingEvaluator); an embedding model's task reports its own cut-offs", e.Message);
    }

    [Fact]
    public void AnEmbeddingLossKeepsItsTasks()
    {
        var c = ConfigLoader.Parse(Head + "  type: mnrl\nevaluation:\n  tasks: [sts.tsv]\n", "c.yaml");
        Assert.Single(c.Evaluation.Tasks);
    }
}
