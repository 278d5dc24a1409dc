using Skald.Tensors.Autograd;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>LoRA inside Ops.Linear: peft's formula, its gradients, frozen weights, stacked parts, training-only dropout.</summary>
public sealed class LoraTests
{
    private static void Near(float expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5f * Math.Max(1f, Math.Abs(expected)), $"expected {expected}, got {actual}");

    /// <summary>y = x·(W + s·B·A)ᵀ + b, written out with loops (the merged weight, as peft's merge defines it).</summary>
    private static float[] Reference(float[] x, int n, Parameter w, Parameter b, Parameter la, Parameter lb, float s)
    {
        int outF = w.Shape[0], inF = w.Shape[1], r = la.Shape[0];
        var y = new float[n * outF];
        for (int i = 0; i < n; i++)
        {
            for (int o = 0; o < outF; o++)
            {
                double acc = b.Data.Span[o];
                for (int k = 0; k < inF; k++)
                {
                    double merged = w.Data.Span[o * inF + k];
                    for (int j = 0; j < r; j++) merged += s * lb.Data.Span[o * r + j] * la.Data.Span[j * inF + k];
                    acc += merged * x[i * inF + k];
                }
                y[i * outF + o] = (float)acc;
            }
        }
        return y;
    }

    [Fact]
    public void ForwardIsPeftsFormulaAndMergingGivesTheSameOutput()
    {
        var w = Param("w", 1, 0.5f, 5, 4);
        var b = Param("b", 2, 0.5f, 5);
        var la = Param("w.lora_A.weight", 3, 0.5f, 2, 4);
        var lb = Param("w.lora_B.weight", 4, 0.5f, 5, 2);
        var x = Random(12, 5);
        w.Lora = new LoraAdapter(la, lb, scale: 1.5f, dropout: 0.3f);
        var tape = new Tape(recording: false) { Random = new SkaldRandom(1) }; // not training: no dropout
        var y = Ops.Linear(tape, tape.Constant(x, 3, 4), w, b).Span.ToArray();
        var expected = Reference(x, 3, w, b, la, lb, 1.5f);
        for (int i = 0; i < y.Length; i++) Near(expected[i], y[i]);

        w.Lora.MergeInto(w.Data.Span);
        w.Lora = null;
        var merged = Ops.Linear(tape, tape.Constant(x, 3, 4), w, b).Span.ToArray();
        for (int i = 0; i < y.Length; i++) Near(expected[i], merged[i]);
    }

    [Fact]
    public void AdapterGradientsMatchFiniteDifferencesAndTheFrozenWeightGetsNone()
    {
        var w = Param("w", 1, 0.5f, 5, 4);
        var b = Param("b", 2, 0.5f, 5);
        var la = Param("w.lora_A.weight", 3, 0.5f, 2, 4);
        var lb = Param("w.lora_B.weight", 4, 0.5f, 5, 2);
        w.Lora = new LoraAdapter(la, lb, scale: 2f, dropout: 0f);
        w.RequiresGrad = false;
        b.RequiresGrad = false;
        Check((t, x) => Ops.Linear(t, x[0], w, b), [new Input(Random(12, 5), 3, 4)], [la, lb]);
        Assert.All(w.Grad.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(b.Grad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void DropoutAppliesInTrainingPassesOnly()
    {
        var w = Param("w", 1, 0.5f, 5, 4);
        var la = Param("a", 3, 0.5f, 2, 4);
        var lb = Param("b", 4, 0.5f, 5, 2);
        w.Lora = new LoraAdapter(la, lb, scale: 1f, dropout: 0.5f);
        var x = Random(40, 5);
        float[] Run(bool training)
        {
            var t = new Tape(recording: false) { Random = new SkaldRandom(9), Training = training };
            return Ops.Linear(t, t.Constant(x, 10, 4), w, null).Span.ToArray();
        }
        Assert.Equal(Run(false), Run(false));
        Assert.NotEqual(Run(false), Run(true));
        // With dropout the adapter path is still differentiable (same masks on both sides of the difference).
        Check((t, v) =>
        {
            t.Training = true;
            return Ops.Linear(t, v[0], w, null);
        }, [new Input(x, 10, 4)], [la, lb]);
    }

    [Fact]
    public void APartOfAStackedProjectionAddsItsUpdateToItsOwnRows()
    {
        var (whole, parts) = Parameter.Stack("gate_up", [("gate_proj.weight", [3, 4]), ("up_proj.weight", [5, 4])], weightDecay: true);
        Random(12, 1, 0.5f).CopyTo(parts[0].Data.Span);
        Random(20, 2, 0.5f).CopyTo(parts[1].Data.Span);
        Assert.Equal(0, parts[0].RowOffset);
        Assert.Equal(3, parts[1].RowOffset);
        var la = Param("up_proj.lora_A.weight", 3, 0.5f, 2, 4);
        var lb = Param("up_proj.lora_B.weight", 4, 0.5f, 5, 2);
        parts[1].Lora = new LoraAdapter(la, lb, scale: 0.5f, dropout: 0f);
        var zeroBias = new Parameter("z", new float[5], [5], false);
        var x = Random(12, 7);
        var tape = new Tape(recording: false);
        var y = Ops.Linear(tape, tape.Constant(x, 3, 4), whole, null).Span.ToArray(); // [3, 8]
        var gate = Ops.Linear(tape, tape.Constant(x, 3, 4), new Parameter("g", parts[0].Data.ToArray(), [3, 4], true), null).Span.ToArray();
        var up = Reference(x, 3, parts[1], zeroBias, la, lb, 0.5f);
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++) Near(gate[r * 3 + c], y[r * 8 + c]);
            for (int c = 0; c < 5; c++) Near(up[r * 5 + c], y[r * 8 + 3 + c]);
        }
        whole.RequiresGrad = false;
        Check((t, v) => Ops.Linear(t, v[0], whole, null), [new Input(x, 3, 4)], [la, lb]);
    }

    [Fact]
    public void AnAdapterOfTheWrongShapeIsRefused()
    {
        var w = Param("layers.0.q_proj.weight", 1, 0.5f, 5, 4);
        var e = Assert.Throws<ArgumentException>(() => w.Lora = new LoraAdapter(Param("a", 2, 1f, 2, 3), Param("b", 3, 1f, 5, 2), 1f, 0f));
        Assert.Contains("layers.0.q_proj.weight", e.Message);
    }
}
