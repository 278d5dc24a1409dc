using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="MaxSim"/>: the SIMD score equal to its scalar twin and to the definition computed in double (Σᵢ maxₜ qᵢ·dₜ),
/// across widths below, at and above a vector register; the batched form equal to one document at a time; an empty
/// document scoring 0; mismatched shapes refused.
/// </summary>
public sealed class MaxSimTests
{
    private static double Definition(float[] q, float[] d, int dim)
    {
        double sum = 0;
        for (int i = 0; i < q.Length / dim; i++)
        {
            double best = double.NegativeInfinity;
            for (int t = 0; t < d.Length / dim; t++)
            {
                double s = 0;
                for (int k = 0; k < dim; k++) s += (double)q[i * dim + k] * d[t * dim + k];
                best = Math.Max(best, s);
            }
            sum += best;
        }
        return sum;
    }

    [Theory]
    [InlineData(3, 1, 1)]
    [InlineData(8, 32, 5)]
    [InlineData(16, 7, 40)]
    [InlineData(37, 32, 180)]
    [InlineData(128, 32, 64)]
    public void ScoreIsTheDefinitionAndItsScalarTwin(int dim, int queryTokens, int documentTokens)
    {
        var rng = new Random(dim * 31 + documentTokens);
        var q = TestUtil.RandomArray(rng, queryTokens * dim);
        var d = TestUtil.RandomArray(rng, documentTokens * dim);
        double expected = Definition(q, d, dim);
        float simd = MaxSim.Score(q, d, dim), scalar = MaxSim.ScoreScalar(q, d, dim);
        double tolerance = 1e-5 * queryTokens * Math.Sqrt(dim);
        Assert.True(Math.Abs(simd - expected) <= tolerance, $"{simd} vs {expected}");
        Assert.True(Math.Abs(scalar - expected) <= tolerance, $"{scalar} vs {expected}");
    }

    [Fact]
    public void BatchedScoresAreEachDocumentsOwn()
    {
        var rng = new Random(5);
        const int dim = 24;
        int[] lengths = [4, 1, 0, 9, 17];
        var q = TestUtil.RandomArray(rng, 6 * dim);
        var docs = TestUtil.RandomArray(rng, lengths.Sum() * dim);
        var offsets = new int[lengths.Length + 1];
        for (int j = 0; j < lengths.Length; j++) offsets[j + 1] = offsets[j] + lengths[j];
        var scores = new float[lengths.Length];
        MaxSim.Scores(q, docs, offsets, dim, scores);
        for (int j = 0; j < lengths.Length; j++)
            Assert.Equal(MaxSim.Score(q, docs.AsSpan(offsets[j] * dim, lengths[j] * dim), dim), scores[j]);
        Assert.Equal(0f, scores[2]); // no tokens: nothing matched
    }

    [Fact]
    public void NegativeSimilaritiesAreKeptNotClampedAtZero()
    {
        // A document whose every token points away from the query: the max is negative (PyLate's zero-padded batch would give 0).
        float[] q = [1, 0, 0, 1];
        float[] d = [-1, -0.25f, -0.5f, -0.5f];
        Assert.Equal(-0.5f + -0.25f, MaxSim.Score(q, d, 2));
        Assert.Equal(-0.75f, MaxSim.ScoreScalar(q, d, 2));
    }

    [Fact]
    public void RefusesShapesThatDoNotFitTheWidth()
    {
        Assert.Throws<ArgumentException>(() => MaxSim.Score(new float[5], new float[4], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaxSim.Score(new float[4], new float[4], 0));
        Assert.Throws<ArgumentException>(() => MaxSim.Scores(new float[4], new float[4], [0, 3], 2, new float[1]));
    }
}
