using Skald.Retrieval.Ivf;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The blocked assignment GEMM of long points (<see cref="CentroidScorer"/>, <see cref="KMeans.Assign"/>'s path above
/// 32 values): it equals its scalar twin (<see cref="KMeans.AssignScalar"/>, one FMA chain a score) in assignment and
/// score for centroid counts across several packed tiles and point counts that end in a partial block, with and
/// without bias; a centroid repeated in a later tile loses the tie to the earlier one; and a scorer loaded a second
/// time (its tiles packed again in place) scores against the new centroids exactly as a fresh one does; a PLAID codec
/// codes vectors longer than 32 values (its packed centroids kept between calls) with the twin's assignment.
/// </summary>
public sealed class CentroidScorerTests
{
    private static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    [Theory]
    [InlineData(40, 7, 250, false)]
    [InlineData(64, 1024, 96, false)]
    [InlineData(48, 2100, 301, false)]
    [InlineData(128, 1500, 97, true)]
    public void BlockedAssignmentEqualsTheScalarTwin(int dim, int k, int n, bool withBias)
    {
        var rng = new Random(dim * 31 + k);
        var data = Random(rng, n * dim);
        var centroids = Random(rng, k * dim);
        var bias = withBias ? Random(rng, k) : [];
        if (k > CentroidScorer.TileCentroids)
        {
            // a later tile's centroid equal to the first one, and every point's best made that pair: the tie goes to 0
            centroids.AsSpan(0, dim).CopyTo(centroids.AsSpan((k - 3) * dim, dim));
            if (withBias) bias[k - 3] = bias[0];
            for (int i = 0; i < n; i += 5) centroids.AsSpan(0, dim).CopyTo(data.AsSpan(i * dim, dim));
        }
        var expected = new int[n];
        var expectedScore = new float[n];
        KMeans.AssignScalar(data, n, dim, centroids, k, expected, expectedScore, bias);
        var actual = new int[n];
        var actualScore = new float[n];
        KMeans.Assign(data, n, dim, centroids, k, actual, actualScore, bias);
        Assert.Equal(expected, actual);
        Assert.Equal(expectedScore, actualScore);
        if (k > CentroidScorer.TileCentroids)
            for (int i = 0; i < n; i += 5) Assert.Equal(0, actual[i]);
    }

    [Fact]
    public void ASecondLoadScoresTheNewCentroids()
    {
        var rng = new Random(3);
        int dim = 64, k = 1300, n = 200;
        var data = Random(rng, n * dim);
        var first = Random(rng, k * dim);
        var second = Random(rng, k * dim);
        var reused = new CentroidScorer(dim, k);
        reused.Load(first, []);
        var scratch = new int[n];
        reused.Assign(data, n, scratch, []);
        reused.Load(second, []);
        var again = new int[n];
        var againScore = new float[n];
        reused.Assign(data, n, again, againScore);
        var expected = new int[n];
        var expectedScore = new float[n];
        KMeans.AssignScalar(data, n, dim, second, k, expected, expectedScore);
        Assert.Equal(expected, again);
        Assert.Equal(expectedScore, againScore);
        Assert.NotEqual(scratch, again);
    }

    [Fact]
    public void ACodecCodesLongVectorsByTheScalarTwinsAssignmentCallAfterCall()
    {
        var rng = new Random(11);
        int dim = 64, k = 40, n = 300;
        var data = Random(rng, n * dim);
        var codec = Plaid.ResidualCodec.Train(data, n, dim, k, 2, new KMeansOptions { Iterations = 2 });
        foreach (int rows in new[] { 50, 7, 300 }) // the later calls reuse the codec's packed centroids
        {
            var cells = new int[rows];
            var packed = new byte[rows * codec.PackedBytes];
            codec.Compress(data.AsSpan(0, rows * dim), rows, cells, packed);
            var expected = new int[rows];
            KMeans.AssignScalar(data.AsSpan(0, rows * dim), rows, dim, codec.Centroids, codec.CentroidCount, expected);
            Assert.Equal(expected, cells);
        }
    }
}
