using Skald.Tensors.Autograd;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Finite-difference checks of tape ops. The scalar checked is L = Σ r ⊙ y for a fixed random r; inputs are leaf
/// variables built from float arrays and/or parameters. Central differences with step eps, sampled coordinates.
/// </summary>
internal static class TapeGradCheck
{
    public sealed record Input(float[] Data, int Rows, int Cols);

    /// <summary>
    /// build(tape, leaves) → output. Compares d L/d leaf and d L/d parameter (sampled coordinates) with central
    /// differences; returns the worst |analytic − numeric| / (atol + rtol·|numeric|) ratio (must be ≤ 1).
    /// </summary>
    public static void Check(Func<Tape, Variable[], Variable> build, Input[] inputs, Parameter[] parameters,
        double eps = 1e-2, double atol = 2e-3, double rtol = 2e-2, int samples = 24, ulong seed = 7, ulong dropoutSeed = 5)
    {
        var rnd = new SkaldRandom(seed);
        // Analytic pass.
        var tape = new Tape { Random = new SkaldRandom(dropoutSeed) };
        foreach (var p in parameters) p.Grad.Span.Clear();
        var leaves = inputs.Select(i => tape.Constant(i.Data, i.Rows, i.Cols, requiresGrad: true)).ToArray();
        var y = build(tape, leaves);
        var r = new float[y.Length];
        rnd.FillUniform(r, -1f, 1f);
        tape.Seed(y, r);
        tape.Backward();
        var analytic = leaves.Select(l => l.HasGrad ? l.Grad.ToArray() : new float[l.Length]).ToList();
        analytic.AddRange(parameters.Select(p => p.Grad.ToArray()));
        tape.Reset();

        double Loss()
        {
            var t = new Tape(recording: false) { Random = new SkaldRandom(dropoutSeed) };
            var ls = inputs.Select(i => t.Constant(i.Data, i.Rows, i.Cols)).ToArray();
            var o = build(t, ls).Span;
            double s = 0;
            for (int i = 0; i < o.Length; i++) s += (double)r[i] * o[i];
            return s;
        }

        var targets = inputs.Select(i => (Memory<float>)i.Data).Concat(parameters.Select(p => p.Data)).ToArray();
        var names = inputs.Select((_, i) => $"input {i}").Concat(parameters.Select(p => p.Name)).ToArray();
        for (int k = 0; k < targets.Length; k++)
        {
            var data = targets[k].Span;
            int count = Math.Min(samples, data.Length);
            for (int s = 0; s < count; s++)
            {
                int idx = data.Length <= samples ? s : rnd.Next(data.Length);
                float old = data[idx];
                data[idx] = (float)(old + eps);
                double plus = Loss();
                data[idx] = (float)(old - eps);
                double minus = Loss();
                data[idx] = old;
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[k][idx];
                Assert.True(Math.Abs(a - numeric) <= atol + rtol * Math.Abs(numeric),
                    $"{names[k]}[{idx}]: analytic {a:G6}, numeric {numeric:G6}");
            }
        }
    }

    /// <summary>
    /// Each value of <paramref name="parameters"/> against central differences (step 1e-2) of a double-precision
    /// reference <paramref name="loss"/> that reads the parameters' current values: the gradient already in its Grad,
    /// within <paramref name="tolerance"/> relative to max(1, |difference|).
    /// </summary>
    public static void ReferenceDifferences(IEnumerable<Parameter> parameters, Func<double> loss, double tolerance = 2e-3)
    {
        foreach (var p in parameters)
        {
            var grad = p.Grad.ToArray();
            for (int idx = 0; idx < grad.Length; idx++)
            {
                var values = p.Data.Span;
                float old = values[idx];
                values[idx] = old + 1e-2f;
                double plus = loss();
                p.Data.Span[idx] = old - 1e-2f;
                double minus = loss();
                p.Data.Span[idx] = old;
                double numeric = (plus - minus) / 2e-2;
                Assert.True(Math.Abs(numeric - grad[idx]) <= tolerance * Math.Max(1, Math.Abs(numeric)),
                    $"{p.Name}[{idx}]: analytic {grad[idx]:G6}, numeric {numeric:G6}");
            }
        }
    }

    public static float[] Random(int n, ulong seed, float scale = 1f)
    {
        var r = new SkaldRandom(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(r.NextGaussian() * scale);
        return a;
    }

    public static Parameter Param(string name, ulong seed, float scale, params int[] shape) =>
        new(name, Random(shape.Aggregate(1, (x, y) => x * y), seed, scale), shape, true);
}
