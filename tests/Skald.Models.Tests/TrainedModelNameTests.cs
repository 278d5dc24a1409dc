using Microsoft.Extensions.AI;

namespace Skald.Models.Tests;

/// <summary>
/// A model a training run wrote goes by its run's name wherever a caller sees one (an embedding generator's model id,
/// and so <c>skald serve</c>'s <c>/v1/models</c>, <c>skald evaluate</c>'s results and <c>index build</c>'s line), as
/// <c>skald benchmark</c> names it: every run saves to <c>RUN/final</c>, so these all said "final".
/// </summary>
public sealed class TrainedModelNameTests
{
    [Theory]
    [InlineData("runs/kommune/final", "kommune")]
    [InlineData("runs/kommune/final/", "kommune")]
    [InlineData("runs/kommune/checkpoints/step-30", "kommune/step-30")]
    [InlineData("models/nb-sbert-base", "nb-sbert-base")]
    [InlineData("hub/models--NbAiLab--nb-sbert-base/snapshots/0123abcd", "NbAiLab/nb-sbert-base")]
    public void AFolderIsNamedByItsRunWhenATrainingRunWroteIt(string path, string expected) =>
        Assert.Equal(expected, ModelNames.Of(Path.Combine(TestPaths.NewTempDir(), path)));

    [Fact]
    public void AGeneratorOverATrainedModelTakesTheRunsName()
    {
        string final = TestPaths.CopyFolder(TestPaths.FixtureModel("bert-cased-mean"), Path.Combine(TestPaths.NewTempDir(), "runs", "kommune", "final"));
        using var generator = SkaldEmbeddingGenerator.Load(final);
        Assert.Equal("kommune", generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);
    }
}
