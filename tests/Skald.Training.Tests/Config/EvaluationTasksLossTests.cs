using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>evaluation.tasks</c> scores an embedding model's embeddings (<c>skald evaluate</c>'s task files). A cross-encoder
/// run and a causal_lm run replaced the evaluators those tasks built with their own over the eval rows, so the key was
/// read and then ignored without a word; it is now one line at config load naming it (sentence-transformers'
/// CrossEncoderTrainer likewise takes only cross-encoder evaluators).
/// </summary>
public sealed class EvaluationTasksLossTests
{
    private const string Head = MinimalConfig.Yaml + "\nloss:\n";

    [Theory]
    [InlineData("bce", "a cross-encoder")]
    [InlineData("lambda", "a cross-encoder")]
    [InlineData("causal_lm", "a causal LM")]
    public void TasksUnderALossWithoutEmbeddingsAreOneLine(string type, string what)
    {
        string yaml = Head + $"  type: {type}\nevaluation:\n  tasks: [sts.tsv]\n";
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(yaml, "c.yaml"));
        Assert.Equal($"c.yaml:10: evaluation.tasks scores an embedding model's embeddings; {what} (loss.type {type}) is evaluated on its eval rows (data.eval or data.eval_split)", e.Message);
        Assert.Empty(ConfigLoader.Parse(Head + $"  type: {type}\n", "c.yaml").Evaluation.Tasks); // without the key the run is as before
    }

    [Fact]
    public void AnEmbeddingLossKeepsItsTasks()
    {
        var c = ConfigLoader.Parse(Head + "  type: mnrl\nevaluation:\n  tasks: [sts.tsv]\n", "c.yaml");
        Assert.Single(c.Evaluation.Tasks);
    }
}
