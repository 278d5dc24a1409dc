using Skald.Data.Negatives;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="PythonRandom"/> against Python 3.11's <c>random</c>: the expected values are what
/// <c>random.seed(SEED); random.getrandbits(32)</c> and <c>random.sample(range(N), K)</c> (twice, one generator) printed
/// under /usr/bin/python3 on 2026-12-07, across both of <c>sample</c>'s ways (a pool while N is at most 21, or
/// 21 + 4^⌈log₄ 3K⌉ for K above 5; else redrawing repeats) and a seed of two 32-bit words.
/// </summary>
public sealed class PythonRandomTests
{
    [Theory]
    [InlineData(42L, new uint[] { 2746317213, 478163327, 107420369 })]
    [InlineData(5000000000L, new uint[] { 372202282, 4101146408 })]
    [InlineData(0L, new uint[] { 3626764237, 1654615998 })]
    public void Outputs32BitsAsPythonsGetrandbits(long seed, uint[] expected)
    {
        var random = new PythonRandom(seed);
        Assert.Equal(expected, expected.Select(_ => random.NextUInt32()));
    }

    [Theory]
    [InlineData(42, 10, new[] { 1, 0, 4 }, new[] { 3, 9, 2 })]
    [InlineData(42, 30, new[] { 20, 3, 0 }, new[] { 23, 8, 7 })]
    [InlineData(7, 100, new[] { 41, 19, 50, 83, 6, 9 }, new[] { 68, 12, 46, 74, 7, 64 })]
    [InlineData(0, 3, new[] { 1, 2, 0 }, new[] { 1, 2, 0 })]
    [InlineData(123, 22, new[] { 1, 8, 2, 13, 3 }, new[] { 1, 12, 17, 10, 5 })]
    [InlineData(9, 80, new[] { 59, 78, 47, 34, 17, 23 }, new[] { 0, 43, 64, 59, 10, 42 })]
    [InlineData(int.MaxValue, 85, new[] { 40, 15, 25, 37, 42, 0 }, new[] { 68, 24, 19, 27, 66, 56 })]
    public void SamplesAsPythonsRandomSample(int seed, int n, int[] first, int[] second)
    {
        var random = new PythonRandom(seed);
        var drawn = new int[first.Length];
        random.Sample(n, drawn);
        Assert.Equal(first, drawn);
        random.Sample(n, drawn);
        Assert.Equal(second, drawn);
    }

    [Fact]
    public void SamplesAsPythonAcrossTheWayChange()
    {
        // 123, 500, 40: 21 + 4^4 = 277 < 500, so repeats are drawn again
        int[] expected = [26, 137, 44, 393, 208, 136, 55, 429, 461, 447, 19, 194, 274, 287, 170, 174, 436, 81, 69, 172, 359, 125,
            83, 0, 463, 223, 396, 449, 305, 193, 35, 3, 161, 374, 229, 52, 22, 47, 341, 72];
        var drawn = new int[40];
        new PythonRandom(123).Sample(500, drawn);
        Assert.Equal(expected, drawn);
    }
}
