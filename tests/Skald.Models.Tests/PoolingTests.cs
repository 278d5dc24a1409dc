using Skald.Models.Architectures;
using Skald.Models.Modules;

namespace Skald.Models.Tests;

public sealed class PoolingTests
{
    // One sentence of 3 tokens (the third is padding), C = 2.
    private static readonly float[] Hidden = [1f, 4f, 3f, -2f, 100f, 100f];
    private static readonly int[] Mask = [1, 1, 0];

    [Theory]
    [InlineData(PoolingMode.Cls, new[] { 1f, 4f })]
    [InlineData(PoolingMode.Mean, new[] { 2f, 1f })]
    [InlineData(PoolingMode.Max, new[] { 3f, 4f })]
    [InlineData(PoolingMode.MeanSqrtLen, new[] { 4f / 1.4142135f, 2f / 1.4142135f })]
    [InlineData(PoolingMode.WeightedMean, new[] { (1f * 1 + 3f * 2) / 3f, (4f * 1 - 2f * 2) / 3f })]
    [InlineData(PoolingMode.LastToken, new[] { 3f, -2f })]
    public void EachModeMatchesHandComputedValue(PoolingMode mode, float[] expected)
    {
        var output = new float[2];
        Pooling.Forward(new PoolingConfig(2, mode), Hidden, Mask, 1, 3, output);
        Assert.Equal(expected[0], output[0], 5);
        Assert.Equal(expected[1], output[1], 5);
    }

    [Fact]
    public void ModesConcatenateInSentenceTransformersOrder()
    {
        var config = new PoolingConfig(2, PoolingMode.Mean | PoolingMode.Cls | PoolingMode.Max);
        var output = new float[6];
        Pooling.Forward(config, Hidden, Mask, 1, 3, output);
        Assert.Equal([1f, 4f, 3f, 4f, 2f, 1f], output);
    }

    [Fact]
    public void ExcludedPromptTokensDoNotCount()
    {
        var config = new PoolingConfig(2, PoolingMode.Mean, IncludePrompt: false);
        var output = new float[2];
        Pooling.Forward(config, Hidden, Mask, 1, 3, output, promptLength: 1);
        Assert.Equal([3f, -2f], output);
    }

    [Fact]
    public void MaxOverPaddedRowFloorsAtMinusOneBillion()
    {
        float[] hidden = [-5e9f, -6e9f, 0f, 0f];
        var output = new float[1];
        Pooling.Forward(new PoolingConfig(1, PoolingMode.Max), hidden, [1, 1, 0, 0], 1, 4, output);
        Assert.Equal(-1e9f, output[0]);
    }

    [Fact]
    public void NormalizeMakesUnitRows()
    {
        float[] x = [3f, 4f, 0f, 0f];
        Skald.Tensors.Kernels.L2Normalize.Forward(x, x, [], 2, 2);
        Assert.Equal([0.6f, 0.8f, 0f, 0f], x);
    }

    [Theory]
    [InlineData(SimilarityFunction.Cosine, 0.6f)]          // a = (3, 4), b = (1, 0): 3 / (5 · 1)
    [InlineData(SimilarityFunction.Dot, 3f)]
    [InlineData(SimilarityFunction.Euclidean, -4.472136f)] // -√((3-1)² + 4²) = -√20
    [InlineData(SimilarityFunction.Manhattan, -6f)]        // -(|3-1| + |4-0|)
    public void SimilarityFunctionsFollowSentenceTransformers(SimilarityFunction f, float expected)
    {
        Assert.Equal(expected, Similarities.Compute(f, [3f, 4f], [1f, 0f]), 5);
    }

    [Fact]
    public void XlmRobertaPositionsCountFromPaddingIndex()
    {
        // ids with pad = 1: <s> a b </s> <pad> <pad>  → positions 2 3 4 5 1 1 (create_position_ids_from_input_ids).
        int[] ids = [0, 17, 18, 2, 1, 1];
        var positions = Enumerable.Range(0, ids.Length).Select(t => XlmRoberta.PositionId(ids, t, 1)).ToArray();
        Assert.Equal([2, 3, 4, 5, 1, 1], positions);
    }
}
