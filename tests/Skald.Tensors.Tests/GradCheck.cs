namespace Skald.Tensors.Tests;

/// <summary>Central finite differences on float32 functions, compared with an analytic gradient.</summary>
internal static class GradCheck
{
    /// <summary>
    /// For each checked index i of <paramref name="x"/>, compares (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h with analytic[i],
    /// where <paramref name="loss"/> evaluates the forward pass (in float) and returns Σ g·y in double.
    /// </summary>
    public static void Check(string name, float[] x, Func<float[], double> loss, ReadOnlySpan<float> analytic,
        float h = 1e-2f, double rtol = 2e-2, int maxChecks = 48, int seed = 0)
    {
        Assert.Equal(x.Length, analytic.Length);
        double scale = 0;
        foreach (float a in analytic) scale = Math.Max(scale, Math.Abs(a));
        double atol = 5e-3 * scale + 2e-4;
        var rng = new Random(seed);
        int checks = Math.Min(maxChecks, x.Length);
        var indices = x.Length <= maxChecks
            ? Enumerable.Range(0, x.Length).ToArray()
            : Enumerable.Range(0, checks).Select(_ => rng.Next(x.Length)).ToArray();
        var probe = (float[])x.Clone();
        foreach (int i in indices)
        {
            float orig = x[i];
            float plus = orig + h, minus = orig - h;
            probe[i] = plus;
            double lp = loss(probe);
            probe[i] = minus;
            double lm = loss(probe);
            probe[i] = orig;
            double numeric = (lp - lm) / ((double)plus - minus);
            double tol = atol + rtol * Math.Abs(analytic[i]);
            if (!(Math.Abs(numeric - analytic[i]) <= tol))
                Assert.Fail($"{name}: d/dx[{i}] analytic {analytic[i]:G6} vs numeric {numeric:G6} (tol {tol:E2})");
        }
    }

    /// <summary>Σ g·y in double.</summary>
    public static double Dot(ReadOnlySpan<float> g, ReadOnlySpan<float> y)
    {
        double s = 0;
        for (int i = 0; i < g.Length; i++) s += (double)g[i] * y[i];
        return s;
    }
}

public sealed class GradCheckSelfTest
{
    [Fact]
    public void DetectsAFivePercentGradientError()
    {
        var x = new float[] { 0.3f, -1.2f, 2f };
        var analytic = x.Select(v => 2 * v * 1.05f).ToArray(); // d/dx Σx² with a 5 % error
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() =>
            GradCheck.Check("x²", x, p => p.Sum(v => (double)v * v), analytic));
        GradCheck.Check("x²", x, p => p.Sum(v => (double)v * v), x.Select(v => 2 * v).ToArray());
    }
}
