using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Training.Evaluation;

namespace Skald.Training.Tests.Evaluation;

/// <summary>
/// Evaluation during training picks a model's task-specific prompts for a task as <c>skald evaluate</c> does
/// (<see cref="RolePrompts"/>' MTEB order): the texts handed to the encode function carry the task's prompt.
/// </summary>
public sealed class TrainingTaskPromptsTests
{
    [Fact]
    public void ATaskViewPutsTheTaskPromptInFront()
    {
        var seen = new List<string>();
        var prompts = new Dictionary<string, string> { ["query"] = "q: ", ["STS"] = "likhet: ", ["xq-query"] = "spørsmål: " };
        var model = new TrainingEmbeddingModel(texts => { seen.AddRange(texts); return [.. texts.Select(_ => new float[] { 1, 0 })]; },
            2, SimilarityFunction.Cosine, prompts);

        model.Embed(["a"], TextRole.Text);
        ((IEmbeddingModel)model.ForTask("sts-sv", "STS")).Embed(["b"], TextRole.Text);
        ((IEmbeddingModel)model.ForTask("xq", "Retrieval")).Embed(["c"], TextRole.Query);
        ((IEmbeddingModel)model.ForTask("other", "Retrieval")).Embed(["d"], TextRole.Query);
        Assert.Equal(["a", "likhet: b", "spørsmål: c", "q: d"], seen);

        var plain = new TrainingEmbeddingModel(t => [.. t.Select(_ => new float[] { 1, 0 })], 2, SimilarityFunction.Cosine,
            new Dictionary<string, string> { ["query"] = "q: " });
        Assert.Same(plain, plain.ForTask("xq", "Retrieval")); // no task keys: no view
    }
}
