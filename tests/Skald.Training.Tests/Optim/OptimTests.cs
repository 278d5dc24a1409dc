using Skald.Training.Optim;

namespace Skald.Training.Tests.Optim;

public sealed class OptimTests
{
    [Fact]
    public void AdamW_MatchesTheTorchFormula()
    {
        var w = new Parameter("w", [0.5f, -1f, 2f, 0f, 1e-3f, 3f, -2f, 0.25f, 1f], [9], weightDecay: true);
        var b = new Parameter("b", [0.1f, -0.2f], [2], weightDecay: false);
        var opt = new AdamW([w, b], weightDecay: 0.1f);
        double[] pw = [.. w.Data.ToArray().Select(x => (double)x)], pb = [.. b.Data.ToArray().Select(x => (double)x)];
        var m = new double[11];
        var v = new double[11];
        for (int step = 1; step <= 3; step++)
        {
            for (int i = 0; i < 9; i++) w.Grad.Span[i] = (float)Math.Sin(i + step);
            for (int i = 0; i < 2; i++) b.Grad.Span[i] = (float)Math.Cos(i * step);
            opt.Step(0.01f);
            for (int i = 0; i < 11; i++)
            {
                bool isW = i < 9;
                double g = isW ? w.Grad.Span[i] : b.Grad.Span[i - 9];
                ref double p = ref isW ? ref pw[i] : ref pb[i - 9];
                if (isW) p *= 1 - 0.01 * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(0.999, step)) + 1e-8;
                p -= 0.01 / (1 - Math.Pow(0.9, step)) * m[i] / denom;
            }
        }
        Assert.Equal(3, opt.StepCount);
        for (int i = 0; i < 9; i++) Assert.Equal(pw[i], w.Data.Span[i], 5);
        for (int i = 0; i < 2; i++) Assert.Equal(pb[i], b.Data.Span[i], 5);
    }

    [Fact]
    public void AdamW_UpdatesEveryElementOfAParameterLargerThanOneSlice()
    {
        // 600,001 values: the update runs in slices of 2^18 claimed by the pool; every element (both slice boundaries,
        // the odd tail) must follow the torch formula with its own moments.
        const int n = 600_001;
        var w = new Parameter("w", [.. Enumerable.Range(0, n).Select(i => (float)Math.Cos(i * 0.01))], [n], weightDecay: true);
        var b = new Parameter("b", [0.3f], [1], weightDecay: false);
        var opt = new AdamW([b, w], weightDecay: 0.1f);
        var p = w.Data.ToArray().Select(x => (double)x).ToArray();
        var m = new double[n];
        var v = new double[n];
        for (int step = 1; step <= 2; step++)
        {
            for (int i = 0; i < n; i++) w.Grad.Span[i] = (float)Math.Sin(i * 0.001 + step);
            b.Grad.Span[0] = 1f;
            opt.Step(0.01f);
            for (int i = 0; i < n; i++)
            {
                double g = w.Grad.Span[i];
                p[i] *= 1 - 0.01 * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                p[i] -= 0.01 / (1 - Math.Pow(0.9, step)) * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(0.999, step)) + 1e-8);
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (Math.Abs(p[i] - w.Data.Span[i]) > 1e-5)
                Assert.Fail($"element {i}: {w.Data.Span[i]} against the formula's {p[i]}");
        }
    }

    [Fact]
    public void AdamW_StateRoundTrips()
    {
        Parameter Make() => new("w", [1f, 2f, 3f], [3], true);
        var a = Make();
        var optA = new AdamW([a]);
        a.Grad.Span[0] = 1f; a.Grad.Span[2] = -3f;
        optA.Step(0.1f);
        var b = Make();
        a.Data.CopyTo(b.Data);
        var optB = new AdamW([b]);
        var state = optA.ExportState().ToDictionary(t => t.Name, t => t.Data.ToArray());
        Assert.Equal(["m/w", "v/w"], state.Keys.Order());
        optB.ImportState(state, optA.StepCount);
        a.Grad.CopyTo(b.Grad);
        optA.Step(0.1f);
        optB.Step(0.1f);
        Assert.Equal(a.Data.ToArray(), b.Data.ToArray());
        Assert.Throws<ArgumentException>(() => optB.ImportState(new Dictionary<string, float[]>(), 1));
    }

    [Fact]
    public void ClipGlobalNorm_ScalesLikeTorch()
    {
        var a = new Parameter("a", new float[2], [2], true);
        var b = new Parameter("b", new float[1], [1], true);
        a.Grad.Span[0] = 3f; a.Grad.Span[1] = 0f; b.Grad.Span[0] = 4f;
        float norm = GradientClipping.ClipGlobalNorm([a, b], 1f);
        Assert.Equal(5f, norm, 5);
        Assert.Equal(3f / (5f + 1e-6f), a.Grad.Span[0], 6);
        Assert.Equal(4f / (5f + 1e-6f), b.Grad.Span[0], 6);
        Assert.Equal(1f, GradientClipping.ClipGlobalNorm([a, b], 10f), 4);
        Assert.Equal(3f / (5f + 1e-6f), a.Grad.Span[0], 6); // unchanged below the limit
    }
}
