using Skald.Models.Architectures;
using Skald.Models.Modules;

namespace Skald.Models.Tests.Modules;

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

    // The same sentence left-padded: pad, then the two real tokens.
    private static readonly float[] LeftHidden = [100f, 100f, 1f, 4f, 3f, -2f];
    private static readonly int[] LeftMask = [0, 1, 1];

    [Theory]
    [InlineData(PoolingMode.Cls, new[] { 1f, 4f })]
    [InlineData(PoolingMode.Mean, new[] { 2f, 1f })]
    [InlineData(PoolingMode.Max, new[] { 3f, 4f })]
    [InlineData(PoolingMode.WeightedMean, new[] { (1f * 1 + 3f * 2) / 3f, (4f * 1 - 2f * 2) / 3f })]
    [InlineData(PoolingMode.LastToken, new[] { 3f, -2f })]
    [InlineData(PoolingMode.WeightedMeanOverPooled, new[] { (1f * 1 + 3f * 2) / 3f, (4f * 1 - 2f * 2) / 3f })]
    public void LeftPaddingGivesWhatRightPaddingGives(PoolingMode mode, float[] expected)
    {
        // sentence-transformers' lasttoken takes the last 1 of the mask (flip + max), so it is right on both sides; the
        // first token, the weights and the pooled set count from the first real token, so padding never shifts them.
        var output = new float[2];
        Pooling.Forward(new PoolingConfig(2, mode), LeftHidden, LeftMask, 1, 3, output);
        Assert.Equal(expected[0], output[0], 5);
        Assert.Equal(expected[1], output[1], 5);
    }

    [Fact]
    public void LastTokenOfAMixedBatchIsEachRowsLastRealToken()
    {
        // Row 0 right-padded (last real at t = 1), row 1 left-padded (last real at t = 2), row 2 unpadded.
        float[] hidden = [1, 2, 3, /**/ 4, 5, 6, /**/ 7, 8, 9];
        var output = new float[3];
        Pooling.Forward(new PoolingConfig(1, PoolingMode.LastToken), hidden, [1, 1, 0, 0, 1, 1, 1, 1, 1], 3, 3, output);
        Assert.Equal([2f, 6f, 9f], output);
    }

    [Fact]
    public void EmbedMaskExcludesInstructionTokens()
    {
        // Left-padded row: pad, instruction token (10), two embedded tokens (1, 3). mean → 2, LLM2Vec weighted_mean →
        // (1·1 + 2·3)/3, sentence-transformers' weightedmean (weights by real position: 2, 3) → (2·1 + 3·3)/5; cls is
        // still the first real token (the instruction's), as LLM2Vec's bos_token.
        float[] hidden = [100f, 10f, 1f, 3f];
        int[] mask = [0, 1, 1, 1], embed = [0, 0, 1, 1];
        float Pool(PoolingMode m)
        {
            var o = new float[1];
            Pooling.Forward(new PoolingConfig(1, m), hidden, mask, 1, 4, o, embedMask: embed);
            return o[0];
        }
        Assert.Equal(2f, Pool(PoolingMode.Mean), 6);
        Assert.Equal(7f / 3f, Pool(PoolingMode.WeightedMeanOverPooled), 6);
        Assert.Equal(11f / 5f, Pool(PoolingMode.WeightedMean), 6);
        Assert.Equal(3f, Pool(PoolingMode.LastToken));
        Assert.Equal(10f, Pool(PoolingMode.Cls));
        Assert.Equal(3f, Pool(PoolingMode.Max));
    }

    [Fact]
    public void PromptExclusionCountsFromTheFirstRealToken()
    {
        // include_prompt = false with a 1-token prompt on a left-padded row: the prompt is t = 1, not the pad at t = 0.
        var output = new float[2];
        Pooling.Forward(new PoolingConfig(2, PoolingMode.Mean, IncludePrompt: false), LeftHidden, LeftMask, 1, 3, output, promptLength: 1);
        Assert.Equal([3f, -2f], output);
    }

    [Fact]
    public void NothingPooledGivesZerosForMeanAndLastToken()
    {
        var output = new float[2];
        Pooling.Forward(new PoolingConfig(1, PoolingMode.Mean | PoolingMode.LastToken), [5f, 6f], [1, 1], 1, 2, output, embedMask: [0, 0]);
        Assert.Equal([0f, 0f], output);
    }

    [Fact]
    public void Llm2VecPoolingModesMapToSkaldModes()
    {
        Assert.Equal(PoolingMode.Mean, PoolingConfig.ParseLlm2Vec("mean", "f"));
        Assert.Equal(PoolingMode.WeightedMeanOverPooled, PoolingConfig.ParseLlm2Vec("weighted_mean", "f"));
        Assert.Equal(PoolingMode.LastToken, PoolingConfig.ParseLlm2Vec("eos_token", "f"));
        Assert.Equal(PoolingMode.LastToken, PoolingConfig.ParseLlm2Vec("last_token", "f"));
        Assert.Equal(PoolingMode.Cls, PoolingConfig.ParseLlm2Vec("bos_token", "f"));
        var e = Assert.Throws<ModelFormatException>(() => PoolingConfig.ParseLlm2Vec("cls", "dir/llm2vec_config.json"));
        Assert.StartsWith("dir/llm2vec_config.json: key \"pooling_mode\"", e.Message);
    }

    [Fact]
    public void ScalarTwinAgreesOnRandomMasks()
    {
        var rnd = new Random(11);
        int batch = 6, seq = 9, c = 7;
        var all = PoolingMode.Cls | PoolingMode.Max | PoolingMode.Mean | PoolingMode.MeanSqrtLen | PoolingMode.WeightedMean
            | PoolingMode.LastToken | PoolingMode.WeightedMeanOverPooled;
        for (int trial = 0; trial < 20; trial++)
        {
            var hidden = Enumerable.Range(0, batch * seq * c).Select(_ => (float)(rnd.NextDouble() * 4 - 2)).ToArray();
            var mask = new int[batch * seq];
            var embed = new int[batch * seq];
            for (int b = 0; b < batch; b++)
            {
                int n = rnd.Next(1, seq + 1), start = rnd.Next(2) == 0 ? 0 : seq - n; // right or left padded
                for (int t = start; t < start + n; t++)
                {
                    mask[b * seq + t] = 1;
                    embed[b * seq + t] = rnd.Next(3) == 0 ? 0 : 1;
                }
            }
            var config = new PoolingConfig(c, all, IncludePrompt: trial % 2 == 0);
            var fast = new float[batch * config.OutputDimension];
            var slow = new float[fast.Length];
            Pooling.Forward(config, hidden, mask, batch, seq, fast, promptLength: 2, embedMask: trial % 3 == 0 ? [] : embed);
            Pooling.ForwardReference(config, hidden, mask, batch, seq, slow, promptLength: 2, embedMask: trial % 3 == 0 ? [] : embed);
            for (int i = 0; i < fast.Length; i++) Assert.True(Math.Abs(fast[i] - slow[i]) <= 1e-5f, $"trial {trial}, value {i}: {fast[i]} vs {slow[i]}");
        }
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
