using Skald.Tensors.Kernels;
using Xunit.Abstractions;

namespace Skald.Tensors.Tests;

public sealed class ActivationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.01, 0.011283415555849618)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.9995930479825550)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(5.0, 0.9999999999984626)]
    [InlineData(-8.0, -1.0)]
    public void ErfDoubleMatchesKnownValues(double x, double expected)
    {
        Assert.True(Math.Abs(Activations.Erf(x) - expected) <= 2e-15 + 1e-14 * Math.Abs(expected),
            $"erf({x}) = {Activations.Erf(x):R}, expected {expected:R}");
    }

    [Fact]
    public void FloatErfIsAccurateToAboutOneE7()
    {
        var xs = new List<float>();
        for (float x = -6f; x <= 6f; x += 0.001f) xs.Add(x);
        xs.AddRange([1e-7f, -1e-6f, 1e-4f, 3e-3f, float.Epsilon, 0f, 10f, -30f]);
        var x1 = xs.ToArray();
        var y = new float[x1.Length];
        Activations.Erf(x1, y);
        double worstRel = 0, worstAbs = 0;
        for (int i = 0; i < x1.Length; i++)
        {
            double e = Activations.Erf((double)x1[i]);
            double abs = Math.Abs(y[i] - e);
            worstAbs = Math.Max(worstAbs, abs);
            if (Math.Abs(e) > 1e-30) worstRel = Math.Max(worstRel, abs / Math.Abs(e));
        }
        output.WriteLine($"float erf: max relative error {worstRel:E2}, max absolute {worstAbs:E2}");
        Assert.True(worstRel < 2e-7, $"relative error {worstRel:E2}");
        Assert.True(worstAbs < 1.5e-7, $"absolute error {worstAbs:E2}");
    }

    public static TheoryData<int> Lengths => new() { 1, 7, 16, 33, 1000, 70001 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SimdForwardsMatchReferences(int n)
    {
        var x = TestUtil.RandomArray(new Random(n), n, 6f);
        if (n > 4) { x[0] = 0f; x[1] = -12f; x[2] = 12f; x[3] = 1e-5f; }
        Compare("gelu", x, Activations.Gelu, Activations.GeluReference, 2e-6);
        Compare("gelu_tanh", x, Activations.GeluTanh, Activations.GeluTanhReference, 2e-6);
        Compare("relu", x, Activations.Relu, Activations.ReluReference, 0);
        Compare("tanh", x, Activations.Tanh, Activations.TanhReference, 1e-6);
    }

    [Fact]
    public void GeluTanhOfAValueDoesNotDependOnWhereItSitsInTheSpan()
    {
        // A fused store applies the kernel per row or tile; the bits must be those of one call over the whole buffer.
        var rng = new Random(7);
        var x = new float[203];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 12 - 6);
        var whole = new float[x.Length];
        Activations.GeluTanh(x, whole);
        foreach (int piece in new[] { 1, 3, 7, 13, 17, 40 })
        {
            var parts = new float[x.Length];
            for (int s = 0; s < x.Length; s += piece)
            {
                int e = Math.Min(x.Length, s + piece);
                Activations.GeluTanh(x.AsSpan(s, e - s), parts.AsSpan(s, e - s));
            }
            Assert.True(whole.AsSpan().SequenceEqual(parts), $"pieces of {piece} differ from one call");
        }
    }

    [Fact]
    public void ForwardsWorkInPlace()
    {
        var x = TestUtil.RandomArray(new Random(3), 101, 4f);
        var expected = new float[x.Length];
        Activations.GeluReference(x, expected);
        var y = (float[])x.Clone();
        Activations.Gelu(y, y);
        TestUtil.AssertClose(expected, y, 2e-6, 2e-6, "in-place gelu");
    }

    [Fact]
    public void SimdBackwardsMatchReferences()
    {
        var rng = new Random(4);
        var x = TestUtil.RandomArray(rng, 70003, 6f);
        var dy = TestUtil.RandomArray(rng, x.Length);
        var e = new float[x.Length];
        var a = new float[x.Length];
        Activations.GeluBackwardReference(x, dy, e);
        Activations.GeluBackward(x, dy, a);
        TestUtil.AssertClose(e, a, 1e-5, 1e-6, "gelu backward");
        Activations.GeluTanhBackwardReference(x, dy, e);
        Activations.GeluTanhBackward(x, dy, a);
        TestUtil.AssertClose(e, a, 1e-5, 1e-6, "gelu_tanh backward");
    }

    [Fact]
    public void BackwardsMatchFiniteDifferences()
    {
        var rng = new Random(5);
        int n = 40;
        var x = TestUtil.RandomArray(rng, n, 3f);
        for (int i = 0; i < n; i++) if (Math.Abs(x[i]) < 0.05f) x[i] = 0.5f; // keep ReLU away from its kink
        var g = TestUtil.RandomArray(rng, n);
        var dx = new float[n];

        Activations.GeluBackward(x, g, dx);
        GradCheck.Check("gelu", x, p => Loss(p, g, Activations.Gelu), dx);
        Activations.GeluTanhBackward(x, g, dx);
        GradCheck.Check("gelu_tanh", x, p => Loss(p, g, Activations.GeluTanh), dx);
        Activations.ReluBackward(x, g, dx);
        GradCheck.Check("relu", x, p => Loss(p, g, Activations.Relu), dx);
        var y = new float[n];
        Activations.Tanh(x, y);
        Activations.TanhBackward(y, g, dx);
        GradCheck.Check("tanh", x, p => Loss(p, g, Activations.Tanh), dx);
    }

    private delegate void Op(ReadOnlySpan<float> x, Span<float> y);

    private static double Loss(float[] x, float[] g, Op op)
    {
        var y = new float[x.Length];
        op(x, y);
        return GradCheck.Dot(g, y);
    }

    private static void Compare(string name, float[] x, Op fast, Op reference, double tol)
    {
        var e = new float[x.Length];
        var a = new float[x.Length];
        reference(x, e);
        fast(x, a);
        TestUtil.AssertClose(e, a, tol, tol, name);
    }
}
