using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

public sealed class NormSoftmaxTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 384)]
    [InlineData(100, 385)]
    [InlineData(7, 100)]
    [InlineData(200, 768)]
    public void LayerNormForwardMatchesReference(int rows, int cols)
    {
        var rng = new Random(rows * 1000 + cols);
        var x = TestUtil.RandomArray(rng, rows * cols, 3f);
        for (int i = 0; i < x.Length; i++) x[i] += 5f; // offset mean: exercises the two-pass variance
        var gamma = TestUtil.RandomArray(rng, cols);
        var beta = TestUtil.RandomArray(rng, cols);
        float[] ye = new float[x.Length], ya = new float[x.Length];
        float[] me = new float[rows], ma = new float[rows], re = new float[rows], ra = new float[rows];
        LayerNorm.ForwardReference(x, gamma, beta, ye, me, re, rows, cols, 1e-12f);
        LayerNorm.Forward(x, gamma, beta, ya, ma, ra, rows, cols, 1e-12f);
        TestUtil.AssertClose(ye, ya, 1e-5, 1e-5, "y");
        TestUtil.AssertClose(me, ma, 1e-6, 1e-6, "mean");
        TestUtil.AssertClose(re, ra, 1e-5, 0, "rstd");
    }

    [Fact]
    public void LayerNormBackwardMatchesFiniteDifferencesAndAccumulates()
    {
        const int rows = 4, cols = 9;
        const float eps = 1e-5f;
        var rng = new Random(11);
        var x = TestUtil.RandomArray(rng, rows * cols, 2f);
        var gamma = TestUtil.RandomArray(rng, cols);
        var beta = TestUtil.RandomArray(rng, cols);
        var g = TestUtil.RandomArray(rng, rows * cols);
        var y = new float[x.Length];
        float[] mean = new float[rows], rstd = new float[rows];
        LayerNorm.Forward(x, gamma, beta, y, mean, rstd, rows, cols, eps);
        var dx = new float[x.Length];
        var dgamma = Enumerable.Repeat(0.25f, cols).ToArray();
        var dbeta = Enumerable.Repeat(-0.5f, cols).ToArray();
        LayerNorm.Backward(g, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols);

        double Loss(float[] xs, float[] gs, float[] bs)
        {
            var yy = new float[xs.Length];
            LayerNorm.Forward(xs, gs, bs, yy, new float[rows], new float[rows], rows, cols, eps);
            return GradCheck.Dot(g, yy);
        }

        GradCheck.Check("layernorm dx", x, p => Loss(p, gamma, beta), dx, h: 1e-2f);
        GradCheck.Check("layernorm dgamma", gamma, p => Loss(x, p, beta), dgamma.Select(v => v - 0.25f).ToArray());
        GradCheck.Check("layernorm dbeta", beta, p => Loss(x, gamma, p), dbeta.Select(v => v + 0.5f).ToArray());

        // Parameter-only backward (dx empty) gives the same parameter gradients.
        var dg2 = new float[cols];
        var db2 = new float[cols];
        LayerNorm.Backward(g, x, gamma, mean, rstd, Span<float>.Empty, dg2, db2, rows, cols);
        TestUtil.AssertClose(dgamma.Select(v => v - 0.25f).ToArray(), dg2, 1e-5, 1e-6, "dgamma");
        TestUtil.AssertClose(dbeta.Select(v => v + 0.5f).ToArray(), db2, 1e-5, 1e-6, "dbeta");
    }

    [Fact]
    public void LayerNormBackwardParallelMatchesSerial()
    {
        const int rows = 300, cols = 257;
        var rng = new Random(12);
        var x = TestUtil.RandomArray(rng, rows * cols);
        var gamma = TestUtil.RandomArray(rng, cols);
        var g = TestUtil.RandomArray(rng, rows * cols);
        var y = new float[x.Length];
        float[] mean = new float[rows], rstd = new float[rows];
        LayerNorm.Forward(x, gamma, new float[cols], y, mean, rstd, rows, cols, 1e-5f);
        float[] dx1 = new float[x.Length], dg1 = new float[cols], db1 = new float[cols];
        LayerNorm.Backward(g, x, gamma, mean, rstd, dx1, dg1, db1, rows, cols);
        int saved = Parallelism.MaxThreads;
        float[] dx2 = new float[x.Length], dg2 = new float[cols], db2 = new float[cols];
        for (int r = 0; r < rows; r++)
            LayerNorm.Backward(g.AsSpan(r * cols, cols), x.AsSpan(r * cols, cols), gamma, mean.AsSpan(r, 1),
                rstd.AsSpan(r, 1), dx2.AsSpan(r * cols, cols), dg2, db2, 1, cols);
        Assert.Equal(saved, Parallelism.MaxThreads);
        TestUtil.AssertClose(dx2, dx1, 1e-6, 1e-6, "dx");
        TestUtil.AssertClose(dg2, dg1, 1e-4, 1e-4, "dgamma");
        TestUtil.AssertClose(db2, db1, 1e-4, 1e-4, "dbeta");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(16, 128)]
    [InlineData(300, 129)]
    public void SoftmaxForwardMatchesReference(int rows, int cols)
    {
        var x = TestUtil.RandomArray(new Random(rows + cols), rows * cols, 20f);
        if (cols > 2) { x[0] = -10000f; x[1] = 80f; }
        float[] e = new float[x.Length], a = new float[x.Length];
        Softmax.ForwardReference(x, e, rows, cols);
        Softmax.Forward(x, a, rows, cols);
        TestUtil.AssertClose(e, a, 1e-5, 1e-7, "softmax");
        var inPlace = (float[])x.Clone();
        Softmax.Forward(inPlace, inPlace, rows, cols);
        TestUtil.AssertClose(e, inPlace, 1e-5, 1e-7, "softmax in place");
    }

    [Fact]
    public void SoftmaxFullyMaskedRowIsUniform()
    {
        var x = new[] { float.NegativeInfinity, float.NegativeInfinity, 1f, 2f };
        var y = new float[4];
        Softmax.Forward(x, y, 2, 2);
        Assert.Equal(0.5f, y[0]);
        Assert.Equal(0.5f, y[1]);
    }

    [Fact]
    public void SoftmaxBackwardMatchesFiniteDifferences()
    {
        const int rows = 3, cols = 11;
        var rng = new Random(13);
        var x = TestUtil.RandomArray(rng, rows * cols, 2f);
        var g = TestUtil.RandomArray(rng, rows * cols);
        var y = new float[x.Length];
        Softmax.Forward(x, y, rows, cols);
        var dx = new float[x.Length];
        Softmax.Backward(y, g, dx, rows, cols);
        GradCheck.Check("softmax", x, p =>
        {
            var yy = new float[p.Length];
            Softmax.Forward(p, yy, rows, cols);
            return GradCheck.Dot(g, yy);
        }, dx);
    }
}
