using System.Numerics.Tensors;

namespace Skald.Models.Tests;

/// <summary>
/// <see cref="EncodeOptions.TruncateDim"/> (sentence-transformers' truncate_dim): the first N values of the full
/// embedding, normalised after the cut only when asked; out-of-range widths and sparse encoders refused.
/// </summary>
public sealed class TruncateDimTests
{
    private static readonly string[] Texts = ["Hvor ligger legekontoret?", "Bussen går klokka sju.", "Kantinen serverer suppe."];

    [Fact]
    public void TruncatedEmbeddingsAreTheFirstValuesNormalisedAfterTheCutWhenAsked()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean")); // ends with a Normalize module
        var full = model.Encode(Texts);
        var cut = model.Encode(Texts, new EncodeOptions { TruncateDim = 8 });
        var unit = model.Encode(Texts, new EncodeOptions { TruncateDim = 8, Normalize = true });
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(full[i][..8], cut[i]);
            Assert.True(TensorPrimitives.Norm(cut[i]) < 0.99f); // the model's unit length is not restored after the cut
            Assert.Equal(1f, TensorPrimitives.Norm(unit[i]), 5);
            float norm = TensorPrimitives.Norm(cut[i]);
            for (int j = 0; j < 8; j++) Assert.Equal(cut[i][j] / norm, unit[i][j], 6);
        }
    }

    [Fact]
    public void BadWidthsAndSparseEncodersAreRefused()
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        Assert.Contains("not in 1..32", Assert.Throws<ArgumentOutOfRangeException>(() => model.Encode(Texts, new EncodeOptions { TruncateDim = 33 })).Message);
        var sparse = SentenceEncoder.Load(TestPaths.FixtureModel("splade-bert-tiny"));
        Assert.Contains("sparse encoder", Assert.Throws<ArgumentOutOfRangeException>(() => sparse.Encode(Texts, new EncodeOptions { TruncateDim = 8 })).Message);
    }
}
