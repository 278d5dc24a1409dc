using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>The logits processors against values computed by hand from transformers' logits_process.py formulas.</summary>
public sealed class LogitsProcessorsTests
{
    [Fact]
    public void RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce()
    {
        float[] z = [2f, -1f, 0.5f, 3f];
        LogitsProcessors.RepetitionPenalty(z, [0, 1], 2f);
        Assert.Equal([1f, -2f, 0.5f, 3f], z);
    }

    [Fact]
    public void TemperatureDivides()
    {
        float[] z = [2f, -1f];
        LogitsProcessors.Temperature(z, 0.5f);
        Assert.Equal([4f, -2f], z);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitsProcessors.Temperature(z, 0f));
    }

    [Fact]
    public void TopKKeepsTheKLargestAndTiesWithTheKth()
    {
        float[] z = [1f, 5f, 3f, 3f, -2f, 4f];
        LogitsProcessors.TopK(z, 3, new float[z.Length]);
        float n = float.NegativeInfinity;
        Assert.Equal([n, 5f, 3f, 3f, n, 4f], z); // the 3rd largest is 3, both 3s stay (scores < kth are removed)
        float[] all = [1f, 2f];
        LogitsProcessors.TopK(all, 5, new float[2]);
        Assert.Equal([1f, 2f], all);
    }

    [Fact]
    public void TopPRemovesTheLeastLikelyTokensUpToOneMinusP()
    {
        // softmax of ln([0.5, 0.3, 0.15, 0.05]) = [0.5, 0.3, 0.15, 0.05]; ascending cumulative: 0.05, 0.20, 0.50, 1.
        float[] z = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        float[] p7 = [.. z];
        LogitsProcessors.TopP(p7, 0.7f, new float[4], new int[4]); // remove cumulative ≤ 0.3: 0.05 and 0.20
        Assert.Equal(z[0], p7[0]);
        Assert.Equal(z[1], p7[1]);
        Assert.True(float.IsNegativeInfinity(p7[2]) && float.IsNegativeInfinity(p7[3]));
        float[] tiny = [.. z];
        LogitsProcessors.TopP(tiny, 0.01f, new float[4], new int[4]); // keeps at least the most likely token
        Assert.Equal(z[0], tiny[0]);
        Assert.Equal(3, tiny.Count(float.IsNegativeInfinity));
        float[] one = [.. z];
        LogitsProcessors.TopP(one, 1f, new float[4], new int[4]);
        Assert.Equal(z, one);
    }

    [Fact]
    public void ArgMaxAndSample()
    {
        Assert.Equal(1, LogitsProcessors.ArgMax([0f, 3f, 3f, -1f])); // the first maximum
        float n = float.NegativeInfinity;
        float[] z = [MathF.Log(0.25f), n, MathF.Log(0.75f)];
        Assert.Equal(0, LogitsProcessors.Sample(z, 0.0));
        Assert.Equal(0, LogitsProcessors.Sample(z, 0.24));
        Assert.Equal(2, LogitsProcessors.Sample(z, 0.26));
        Assert.Equal(2, LogitsProcessors.Sample(z, 0.999999));
    }

    [Fact]
    public void SamplerFollowsGenerateOrderAndSeeds()
    {
        // Greedy applies the repetition penalty (a processor) but no warper: token 0 (seen, 2 → 1) loses to token 2.
        var greedy = new TokenSampler(new GenerationOptions { RepetitionPenalty = 2f }, 3);
        greedy.Begin([[0]], [0]);
        Assert.Equal(2, greedy.Next(0, new float[] { 2f, -1f, 1.5f }));
        // The same seed and row give the same draws; rows draw from their own streams.
        int[] Draw(ulong seed, int row)
        {
            var s = new TokenSampler(new GenerationOptions { Temperature = 1f, Seed = seed }, 8);
            s.Begin([[1]], [row]);
            return [.. Enumerable.Range(0, 20).Select(_ => s.Next(0, new float[8]))];
        }
        Assert.Equal(Draw(3, 0), Draw(3, 0));
        Assert.NotEqual(Draw(3, 0), Draw(4, 0));
        Assert.NotEqual(Draw(3, 0), Draw(3, 1));
    }

    [Fact]
    public void FiniteDropsNaNAndKeepsOnlyTheInfinitiesWhereThereAreAny()
    {
        float n = float.NegativeInfinity, p = float.PositiveInfinity;
        float[] z = [float.NaN, 1f, p, n, p];
        LogitsProcessors.Finite(z);
        Assert.Equal([n, n, 0f, n, 0f], z);
        float[] w = [float.NaN, 1f, 2f];
        LogitsProcessors.Finite(w);
        Assert.Equal([n, 1f, 2f], w);
    }

    [Fact]
    public void ATinyRepetitionPenaltyPicksAmongTheSeenTokensItOverflowsToInfinity()
    {
        // 1e-44 divides the seen tokens' positive logits (1 and 3) to +∞: greedy takes the first of them, not the NaN at 0
        var greedy = new TokenSampler(new GenerationOptions { RepetitionPenalty = 1e-44f }, 4);
        greedy.Begin([[1, 3]], [0]);
        Assert.Equal(1, greedy.Next(0, new float[] { float.NaN, 2f, 5f, 1f }));
        // sampling draws from the infinities alike (∞ − ∞ made every probability NaN: always the last token)
        var sampler = new TokenSampler(new GenerationOptions { RepetitionPenalty = 1e-44f, Temperature = 1f, Seed = 5 }, 4);
        sampler.Begin([[1, 3]], [0]);
        var drawn = Enumerable.Range(0, 40).Select(_ => sampler.Next(0, new float[] { 0f, 2f, 5f, 1f })).ToHashSet();
        Assert.Equal([1, 3], drawn.Order());
    }
}
