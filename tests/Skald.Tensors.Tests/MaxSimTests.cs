using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="MaxSim"/>: the SIMD score equal to its scalar twin and to the definition computed in double (Σᵢ maxₜ qᵢ·dₜ),
/// across widths below, at and above a vector register; the batched form equal to one document at a time; an empty
/// document scoring 0; mismatched shapes refused. The backward (scaled: 1 for ColBERT's sum, 1/query tokens for
/// BGE-M3's mean) against central differences of the forward computed in double, its SIMD form equal to its scalar twin.
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

    [Theory]
    [InlineData(3, 2, 4, 1f)]
    [InlineData(16, 5, 9, 1f)]
    [InlineData(37, 7, 12, 1f / 7)]
    public void BackwardIsTheCentralDifferenceOfTheScore(int dim, int queryTokens, int documentTokens, float scale)
    {
        var rng = new Random(dim + 97 * queryTokens);
        var q = TestUtil.RandomArray(rng, queryTokens * dim);
        var d = TestUtil.RandomArray(rng, documentTokens * dim);
        const float dScore = 0.75f;
        float[] dq = new float[q.Length], dd = new float[d.Length], dqs = new float[q.Length], dds = new float[d.Length];
        MaxSim.Backward(q, d, dim, scale, dScore, dq, dd);
        MaxSim.BackwardScalar(q, d, dim, scale, dScore, dqs, dds);
        const double h = 1e-3;
        foreach (var (x, grad, twin) in new[] { (q, dq, dqs), (d, dd, dds) })
        {
            for (int k = 0; k < x.Length; k++)
            {
                float keep = x[k];
                x[k] = (float)(keep + h);
                double up = Definition(q, d, dim);
                x[k] = (float)(keep - h);
                double down = Definition(q, d, dim);
                x[k] = keep;
                double expected = scale * dScore * (up - down) / (2 * h);
                Assert.True(Math.Abs(grad[k] - expected) <= 1e-3, $"entry {k}: {grad[k]} vs central difference {expected}");
                Assert.True(Math.Abs(twin[k] - grad[k]) <= 1e-6, $"entry {k}: scalar twin {twin[k]} vs {grad[k]}");
            }
        }
    }

    [Fact]
    public void BackwardAddsToTheGradientsItIsGivenAndRefusesWrongShapes()
    {
        float[] q = [1, 0], d = [0.5f, 0, -1, 0];
        float[] dq = [10, 10], dd = [1, 1, 1, 1];
        MaxSim.Backward(q, d, 2, 1f, 2f, dq, dd);
        Assert.Equal([11f, 10f], dq); // + 2 · d₀
        Assert.Equal([3f, 1f, 1f, 1f], dd); // row 0 holds the max: + 2 · q
        Assert.Throws<ArgumentException>(() => MaxSim.Backward(q, d, 2, 1f, 1f, new float[3], new float[4]));
    }
}
