using Skald.Retrieval.Ivf;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The fused nearest-centroid kernel of short points (<see cref="NearestCentroid"/>): it equals its scalar twin bit for
/// bit (assignment and score) for every length up to 32, centroid counts that do not fill a block of 16, with and
/// without bias, and the managed GEMM's scores plus bias; the winner is the best by a double-precision brute force wherever the runner-up is not within
/// rounding, and a duplicated centroid goes to its lower index.
/// </summary>
public sealed class NearestCentroidTests
{
    private static float[] Random(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    [Fact]
    public void FusedEqualsItsTwinAndTheBruteForce()
    {
        bool fusedHere = NearestCentroid.Applies(8);
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, fusedHere); // else the GEMM path serves this CPU
        var rng = new Random(5);
        int checkedPoints = 0;
        // k: one partial block, whole blocks, 8 + 4 + 1 blocks with a partial last (120, 200); n: several chunks of
        // 1,024 points and a tail after the four-point groups.
        foreach (int dim in new[] { 1, 2, 3, 7, 8, 12, 16, 31, 32 })
        foreach (int k in new[] { 1, 5, 16, 17, 100, 120, 200, 256 })
        foreach (bool withBias in new[] { false, true })
        {
            int n = dim == 8 ? 2051 : 301;
            var data = Random(rng, n * dim);
            var centroids = Random(rng, k * dim);
            if (k > 3) centroids.AsSpan(0, dim).CopyTo(centroids.AsSpan((k - 1) * dim, dim)); // last centroid = first
            var bias = withBias ? Random(rng, k) : [];
            if (withBias && k > 3) bias[k - 1] = bias[0];
            var twin = new int[n];
            var twinScore = new float[n];
            NearestCentroid.AssignScalar(data, n, dim, centroids, k, bias, twin, twinScore);
            for (int i = 0; i < n; i++)
            {
                var scores = Enumerable.Range(0, k).Select(j =>
                    Enumerable.Range(0, dim).Sum(t => (double)data[i * dim + t] * centroids[j * dim + t]) + (withBias ? bias[j] : 0)).ToArray();
                int best = Array.IndexOf(scores, scores.Max());
                double runnerUp = scores.Where((s, j) => j != best && !centroids.AsSpan(j * dim, dim).SequenceEqual(centroids.AsSpan(best * dim, dim)))
                    .DefaultIfEmpty(double.NegativeInfinity).Max();
                if (k > 3) Assert.NotEqual(k - 1, twin[i]); // the duplicate of centroid 0 never wins over it
                if (scores[best] - runnerUp > 1e-4)
                {
                    Assert.Equal(best, twin[i]);
                    Assert.Equal(scores[best], twinScore[i], 1e-4);
                    checkedPoints++;
                }
            }
            if (!fusedHere) continue;
            var fused = new int[n];
            var fusedScore = new float[n];
            NearestCentroid.Assign(data, n, dim, centroids, k, bias, fused, fusedScore);
            Assert.Equal(twin, fused);
            Assert.Equal(twinScore, fusedScore);
            // The managed GEMM's scores plus the bias are the same bits.
            var gemm = new float[n * k];
            new Skald.Tensors.Gemm.ManagedGemm().Sgemm(false, true, n, k, dim, 1f, data, dim, centroids, dim, 0f, gemm, k);
            for (int i = 0; i < n; i++)
            {
                var row = gemm.AsSpan(i * k, k);
                if (withBias) System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
                Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row), fused[i]);
                Assert.Equal(row[fused[i]], fusedScore[i]);
            }
        }
        Assert.True(checkedPoints > 50000, $"{checkedPoints} points had a clear winner");
        if (fusedHere)
            Assert.Throws<ArgumentException>(() => NearestCentroid.Assign(new float[10], 3, 4, new float[8], 2, default, new int[3], default));
    }
}
