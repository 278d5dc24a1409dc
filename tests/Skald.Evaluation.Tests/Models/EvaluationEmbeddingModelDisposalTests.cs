using Skald.Evaluation.Models;
using Skald.Models;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests.Models;

/// <summary>An <see cref="EvaluationEmbeddingModel"/> disposes the encoder it loaded, never one it was given.</summary>
public sealed class EvaluationEmbeddingModelDisposalTests
{
    private static readonly string Folder = TestPaths.FixtureModel("bert-cased-mean");

    [Fact]
    public void DisposingALoadedModelDisposesItsEncoder()
    {
        var model = EvaluationEmbeddingModel.Load(Folder);
        Assert.Single(model.Embed(["Hei verden"], TextRole.Query));
        model.Dispose();
        Assert.True(model.Encoder.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => model.Embed(["Hallo verda"], TextRole.Query));
    }

    [Fact]
    public void DisposingAModelOverAGivenEncoderLeavesTheEncoderUsable()
    {
        using var encoder = SentenceEncoder.Load(Folder);
        var model = new EvaluationEmbeddingModel(encoder, Folder);
        model.Dispose();
        Assert.False(encoder.IsDisposed);
        Assert.Equal(encoder.Dimension, encoder.Encode(["Hei verden"])[0].Length);
    }
}
