namespace Skald.Tensors.Tests;

internal static class TestUtil
{
    public static float[] RandomArray(Random rng, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Asserts |a - e| ≤ atol + rtol·|e| element-wise, reporting the worst element.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol,
        string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            double tol = atol + rtol * Math.Abs(e);
            if (!(Math.Abs(a - e) <= tol))
                Assert.Fail($"{what} mismatch at {i}: expected {e:R}, actual {a:R}, |diff| {Math.Abs(a - e):E3} > {tol:E3}");
        }
    }

    /// <summary>Max-norm-relative closeness: |a - e| ≤ rtol·max(|e|) + atol (GEMM sums cancel, so element-relative is too strict).</summary>
    public static void AssertCloseScaled(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol,
        string what = "")
    {
        double scale = 0;
        foreach (float e in expected) scale = Math.Max(scale, Math.Abs(e));
        AssertClose(expected, actual, 0, rtol * Math.Max(scale, 1e-6), what);
    }
}
