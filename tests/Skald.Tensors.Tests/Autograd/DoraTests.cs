using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// DoRA inside Ops.Linear (<see cref="LoraAdapter.Magnitude"/>): peft's formula written out with loops in double,
/// gradients with the weight norm held constant (finite differences of a reference that freezes it), peft's dropout form,
/// a part of a stacked projection, 16-bit and int8 bases, and the merge.
/// </summary>
public sealed class DoraTests
{
    private const int N = 3, In = 4, Out = 5, Rank = 2;

    private static void Near(double expected, float actual, string what, double tol = 1e-5) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    /// <summary>‖W[j] + s·(B·A)[j]‖ per output row, in double.</summary>
    private static double[] Norms(float[] w, float[] a, float[] b, float s, int outF, int inF, int r)
    {
        var nu = new double[outF];
        for (int o = 0; o < outF; o++)
        {
            double sum = 0;
            for (int k = 0; k < inF; k++)
            {
                double v = w[o * inF + k];
                for (int j = 0; j < r; j++) v += s * b[o * r + j] * a[j * inF + k];
                sum += v * v;
            }
            nu[o] = Math.Sqrt(sum);
        }
        return nu;
    }

    /// <summary>
    /// y = b + (m/ν)⊙(x·(W + s·B·A)ᵀ) without dropout (DoRA's definition), with ν from the current A and B or, when
    /// given, <paramref name="frozenNorms"/> (the norm as a constant, what the gradients see).
    /// </summary>
    private static double[] Reference(float[] x, int n, float[] w, float[]? bias, float[] a, float[] b, float[] m, float s,
        int outF, int inF, int r, double[]? frozenNorms = null)
    {
        var nu = frozenNorms ?? Norms(w, a, b, s, outF, inF, r);
        var y = new double[n * outF];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outF; o++)
            {
                double acc = 0;
                for (int k = 0; k < inF; k++)
                {
                    double merged = w[o * inF + k];
                    for (int j = 0; j < r; j++) merged += s * b[o * r + j] * a[j * inF + k];
                    acc += merged * x[i * inF + k];
                }
                y[i * outF + o] = (bias?[o] ?? 0) + m[o] / nu[o] * acc;
            }
        }
        return y;
    }

    private static LoraAdapter Adapter(int outF, float dropout = 0f, float scale = 1.5f) =>
        new(Param("w.lora_A.weight", 3, 0.5f, Rank, In), Param("w.lora_B.weight", 4, 0.5f, outF, Rank), scale, dropout,
            Param("w.lora_magnitude_vector", 5, 1f, outF));

    [Fact]
    public void ForwardIsDorasFormulaAndMergingGivesTheSameOutput()
    {
        var w = Param("w", 1, 0.5f, Out, In);
        var bias = Param("b", 2, 0.5f, Out);
        var lora = Adapter(Out, dropout: 0.3f);
        var x = Random(N * In, 7);
        w.Lora = lora;
        var tape = new Tape(recording: false) { Random = new SkaldRandom(1) }; // not training: no dropout
        var y = Ops.Linear(tape, tape.Constant(x, N, In), w, bias).Span.ToArray();
        var expected = Reference(x, N, w.Data.ToArray(), bias.Data.ToArray(), lora.A.Data.ToArray(), lora.B.Data.ToArray(),
            lora.Magnitude!.Data.ToArray(), 1.5f, Out, In, Rank);
        for (int i = 0; i < y.Length; i++) Near(expected[i], y[i], $"y[{i}]");

        lora.MergeInto(w);
        w.Lora = null;
        var merged = Ops.Linear(tape, tape.Constant(x, N, In), w, bias).Span.ToArray();
        for (int i = 0; i < y.Length; i++) Near(expected[i], merged[i], $"merged y[{i}]");
    }

    [Fact]
    public void AMagnitudeOfTheRowNormsLeavesTheOutputUnchangedWhileBIsZero()
    {
        var w = Param("w", 1, 0.5f, Out, In);
        var a = Param("a", 3, 0.5f, Rank, In);
        var b = new Parameter("b", new float[Out * Rank], [Out, Rank], true);
        var norms = new float[Out];
        new LoraAdapter(a, b, 2f, 0f).WeightNorms(w, norms);
        var rowNorms = Norms(w.Data.ToArray(), a.Data.ToArray(), b.Data.ToArray(), 2f, Out, In, Rank);
        for (int o = 0; o < Out; o++) Near(rowNorms[o], norms[o], $"norm[{o}]");
        var x = Random(N * In, 7);
        var tape = new Tape(recording: false);
        var plain = Ops.Linear(tape, tape.Constant(x, N, In), w, null).Span.ToArray();
        w.Lora = new LoraAdapter(a, b, 2f, 0f, new Parameter("m", norms, [Out], true));
        var dora = Ops.Linear(tape, tape.Constant(x, N, In), w, null).Span.ToArray();
        for (int i = 0; i < plain.Length; i++) Near(plain[i], dora[i], $"y[{i}]");
    }

    [Fact]
    public void GradientsHoldTheNormConstant()
    {
        var w = Param("w", 1, 0.5f, Out, In);
        var bias = Param("bias", 2, 0.5f, Out);
        var lora = Adapter(Out);
        w.Lora = lora;
        w.RequiresGrad = false;
        bias.RequiresGrad = false;
        var x = Random(N * In, 7);
        // x and m do not reach the norm: finite differences of the op itself.
        Check((t, v) => Ops.Linear(t, v[0], w, bias), [new Input(x, N, In)], [lora.Magnitude!]);

        // A and B: finite differences of the reference with the norm frozen at its value (peft detaches it).
        var seed = Random(N * Out, 9);
        var tape = new Tape();
        foreach (var p in lora.Parameters) p.Grad.Span.Clear();
        var y = Ops.Linear(tape, tape.Constant(x, N, In), w, bias);
        tape.Seed(y, seed);
        tape.Backward();
        float[] wv = w.Data.ToArray(), bv = bias.Data.ToArray(), mv = lora.Magnitude!.Data.ToArray();
        var frozen = Norms(wv, lora.A.Data.ToArray(), lora.B.Data.ToArray(), lora.Scale, Out, In, Rank);
        ReferenceDifferences([lora.A, lora.B], () =>
        {
            var r = Reference(x, N, wv, bv, lora.A.Data.ToArray(), lora.B.Data.ToArray(), mv, lora.Scale, Out, In, Rank, frozen);
            double sum = 0;
            for (int i = 0; i < r.Length; i++) sum += seed[i] * r[i];
            return sum;
        });
        Assert.All(w.Grad.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(bias.Grad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void TrainingWithDropoutIsPeftsFormAndDifferentiable()
    {
        var w = Param("w", 1, 0.5f, Out, In);
        var bias = Param("bias", 2, 0.5f, Out);
        var lora = Adapter(Out, dropout: 0.4f);
        w.Lora = lora;
        w.RequiresGrad = false;
        bias.RequiresGrad = false;
        var x = Random(8 * In, 7);
        var tape = new Tape(recording: false) { Random = new SkaldRandom(3), Training = true };
        var y = Ops.Linear(tape, tape.Constant(x, 8, In), w, bias).Span.ToArray();
        // The same mask: the op's first draw from a tape seeded alike.
        var maskTape = new Tape(recording: false) { Random = new SkaldRandom(3), Training = true };
        var dropped = Ops.Dropout(maskTape, maskTape.Constant(x, 8, In), 0.4f).Span.ToArray();
        Assert.NotEqual(x, dropped);
        float[] wv = w.Data.ToArray(), av = lora.A.Data.ToArray(), bv = lora.B.Data.ToArray(), mv = lora.Magnitude!.Data.ToArray();
        var nu = Norms(wv, av, bv, lora.Scale, Out, In, Rank);
        // y = x·Wᵀ + b + (s − 1)⊙(x̃·Wᵀ) + s⊙scale·(x̃·Aᵀ)·Bᵀ, s = m/ν.
        var none = new float[Out * Rank];
        var plainBase = Reference(x, 8, wv, bias.Data.ToArray(), av, none, Enumerable.Repeat(1f, Out).ToArray(), 0f, Out, In, Rank, Enumerable.Repeat(1.0, Out).ToArray());
        var droppedBase = Reference(dropped, 8, wv, null, av, none, Enumerable.Repeat(1f, Out).ToArray(), 0f, Out, In, Rank, Enumerable.Repeat(1.0, Out).ToArray());
        var droppedAdapted = Reference(dropped, 8, wv, null, av, bv, mv, lora.Scale, Out, In, Rank, nu);
        for (int i = 0; i < y.Length; i++)
        {
            int o = i % Out;
            double s = mv[o] / nu[o];
            // droppedAdapted = s⊙(x̃·Wᵀ + l), so s⊙l = droppedAdapted − s⊙x̃·Wᵀ.
            double expected = plainBase[i] + (s - 1) * droppedBase[i] + (droppedAdapted[i] - s * droppedBase[i]);
            Near(expected, y[i], $"y[{i}]");
        }
        Check((t, v) =>
        {
            t.Training = true;
            return Ops.Linear(t, v[0], w, bias);
        }, [new Input(x, 8, In)], [lora.Magnitude!]);
    }

    [Fact]
    public void APartOfAStackedProjectionScalesItsOwnRows()
    {
        var (whole, parts) = Parameter.Stack("qkv", [("q.weight", [3, In]), ("k.weight", [Out, In])], weightDecay: true);
        Random(3 * In, 12, 0.5f).CopyTo(parts[0].Data.Span);
        Random(Out * In, 13, 0.5f).CopyTo(parts[1].Data.Span);
        var bias = Param("qkv.bias", 2, 0.5f, 3 + Out);
        var lora = Adapter(Out);
        parts[1].Lora = lora;
        var x = Random(N * In, 7);
        var tape = new Tape(recording: false);
        var y = Ops.Linear(tape, tape.Constant(x, N, In), whole, bias).Span.ToArray(); // [N, 3 + Out]
        var q = Reference(x, N, parts[0].Data.ToArray(), bias.Data[..3].ToArray(), new float[In], new float[3], [1f, 1f, 1f], 0f, 3, In, 1, [1.0, 1.0, 1.0]);
        var k = Reference(x, N, parts[1].Data.ToArray(), bias.Data[3..].ToArray(), lora.A.Data.ToArray(), lora.B.Data.ToArray(),
            lora.Magnitude!.Data.ToArray(), lora.Scale, Out, In, Rank);
        for (int i = 0; i < N; i++)
        {
            for (int c = 0; c < 3; c++) Near(q[i * 3 + c], y[i * (3 + Out) + c], $"q[{i}, {c}]");
            for (int c = 0; c < Out; c++) Near(k[i * Out + c], y[i * (3 + Out) + 3 + c], $"k[{i}, {c}]");
        }
        whole.RequiresGrad = false;
        bias.RequiresGrad = false;
        Check((t, v) => Ops.Linear(t, v[0], whole, bias), [new Input(x, N, In)], [lora.Magnitude!]);
    }

    public static TheoryData<string> Bases => ["bf16", "f16", "int8"];

    [Theory]
    [MemberData(nameof(Bases))]
    public void OnANarrowBaseItComputesAsOnTheWidenedValues(string format)
    {
        var source = Random(Out * In, 1, 0.5f);
        Parameter narrow, wide;
        if (format == "int8")
        {
            var form = Int8Matrix.Quantize(source, Out, In);
            narrow = new Parameter("w", form, true);
            wide = new Parameter("w", form.Dequantize(), [Out, In], true);
        }
        else
        {
            var precision = format == "bf16" ? WeightPrecision.BFloat16 : WeightPrecision.Float16;
            var bits = new ushort[source.Length];
            Kernels.F16.FromSingle(precision, source, bits);
            narrow = new Parameter("w", bits, precision, [Out, In], true);
            var widened = new float[source.Length];
            narrow.Widen(0, widened);
            wide = new Parameter("w", widened, [Out, In], true);
        }
        wide.RequiresGrad = false;
        var x = Random(N * In, 7);
        var seed = Random(N * Out, 9);
        (float[] Y, float[] Dx, float[][] Adapter) Run(Parameter w)
        {
            var lora = Adapter(Out);
            w.Lora = lora;
            var tape = new Tape();
            var xv = tape.Constant(x, N, In, requiresGrad: true);
            var y = Ops.Linear(tape, xv, w, null);
            var yv = y.Span.ToArray();
            tape.Seed(y, seed);
            tape.Backward();
            return (yv, xv.Grad.ToArray(), [.. lora.Parameters.Select(p => p.Grad.ToArray())]);
        }
        var (ny, ndx, nAdapter) = Run(narrow);
        var (wy, wdx, wAdapter) = Run(wide);
        for (int i = 0; i < wy.Length; i++) Near(wy[i], ny[i], $"y[{i}]");
        for (int i = 0; i < wdx.Length; i++) Near(wdx[i], ndx[i], $"dx[{i}]");
        for (int p = 0; p < 3; p++)
        {
            for (int i = 0; i < wAdapter[p].Length; i++) Near(wAdapter[p][i], nAdapter[p][i], $"adapter {p} grad[{i}]");
        }
    }

    [Fact]
    public void AMagnitudeOfTheWrongLengthOrATrainableBaseIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new LoraAdapter(Param("a", 3, 0.5f, Rank, In), Param("b", 4, 0.5f, Out, Rank), 1f, 0f, Param("m", 5, 1f, Out + 1)));
        Assert.Contains("magnitude", e.Message);
        var w = Param("layers.0.q_proj.weight", 1, 0.5f, Out, In);
        w.Lora = Adapter(Out);
        var tape = new Tape();
        var trainable = Assert.Throws<InvalidOperationException>(() => Ops.Linear(tape, tape.Constant(Random(N * In, 7), N, In), w, null));
        Assert.Contains("layers.0.q_proj.weight", trainable.Message);
        Assert.Contains("frozen", trainable.Message);
    }
}
