using Skald.Models.Modules;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// <see cref="VectorDistances.Manhattan"/>: hand values, its scalar twin and a double-precision sum on lengths that
/// leave every tail (below one vector, one vector and a remainder, two accumulators and a remainder), and
/// <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/> reading it.
/// </summary>
public sealed class VectorDistancesTests
{
    [Fact]
    public void HandValues()
    {
        Assert.Equal(7.5f, VectorDistances.Manhattan([1f, -2f, 3.5f], [0f, 2f, 1f]));
        Assert.Equal(0f, VectorDistances.Manhattan([], []));
        // |i − (−i)| = 2i summed over 0..36 is 1,332, integers exact in float32 whatever the order
        var a = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        var b = a.Select(x => -x).ToArray();
        Assert.Equal(1332f, VectorDistances.Manhattan(a, b));
        Assert.Equal(-1332f, Similarities.Compute(SimilarityFunction.Manhattan, a, b));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(47)]
    [InlineData(385)]
    [InlineData(1023)]
    public void VectorEqualsItsScalarTwinAndADoubleSumOnOddLengths(int n)
    {
        var rng = new Random(n);
        var a = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        double reference = 0;
        for (int i = 0; i < n; i++) reference += Math.Abs((double)a[i] - b[i]);
        float vector = VectorDistances.Manhattan(a, b), scalar = VectorDistances.ManhattanScalar(a, b);
        double tolerance = (n + 1) * 1.2e-7 * reference; // float summation of n positive terms: n roundings of at most ε each
        Assert.True(Math.Abs(vector - reference) <= tolerance, $"n {n}: vector {vector} vs {reference}");
        Assert.True(Math.Abs(scalar - reference) <= tolerance, $"n {n}: scalar {scalar} vs {reference}");
        Assert.True(Math.Abs(vector - scalar) <= tolerance, $"n {n}: vector {vector} vs scalar {scalar}");
        Assert.Equal(-vector, Similarities.Compute(SimilarityFunction.Manhattan, a, b));
    }

    [Fact]
    public void VectorsOfDifferentLengthsAreRefused() =>
        Assert.Throws<ArgumentException>(() => VectorDistances.Manhattan([1f, 2f], [1f]));
}
