using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>bfloat16 parameters: frozen storage read by Linear and Gather as float32.</summary>
public sealed class Bf16ParameterTests
{
    [Fact]
    public void Bf16ParameterIsHalfTheMemoryAndInferenceOnly()
    {
        var p = new Parameter("w", new ushort[12], [3, 4], weightDecay: true);
        Assert.Equal(WeightPrecision.BFloat16, p.Precision);
        Assert.Equal(24, p.Bytes);
        Assert.False(p.RequiresGrad);
        p.RequiresGrad = false; // allowed
        var e = Assert.Throws<InvalidOperationException>(() => p.RequiresGrad = true);
        Assert.Contains("frozen", e.Message);
        Assert.Throws<InvalidOperationException>(() => p.Data);
        Assert.Throws<InvalidOperationException>(() => p.Grad);
        var f = new Parameter("f", new float[12], [3, 4], weightDecay: true);
        Assert.Equal(48, f.Bytes);
        Assert.True(f.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => f.BFloat16Data);
    }

    [Fact]
    public void LinearOnBf16WeightsEqualsLinearOnTheWidenedWeights()
    {
        var rng = new Random(3);
        foreach (int rows in new[] { 1, 5, 40 })
        {
            var (bits, wide) = Bf16GemmTests.RandomBf16(rng, 37 * 70);
            var w16 = new Parameter("w", bits, [37, 70], weightDecay: true);
            var w32 = new Parameter("w", wide, [37, 70], weightDecay: true);
            var bias = new Parameter("b", TestUtil.RandomArray(rng, 37), [37], weightDecay: false);
            var x = TestUtil.RandomArray(rng, rows * 70);
            var tape = new Tape(recording: false);
            var y16 = Ops.Linear(tape, tape.Constant(x, rows, 70), w16, bias).Span.ToArray();
            var y32 = Ops.Linear(tape, tape.Constant(x, rows, 70), w32, bias).Span.ToArray();
            TestUtil.AssertCloseScaled(y32, y16, 1e-6, $"rows={rows}");
        }
    }

    [Fact]
    public void StackedBf16PartsAreViewsOfOneBuffer()
    {
        var (whole, parts) = Parameter.Stack("gu", [("g", [2, 3]), ("u", [2, 3])], true, WeightPrecision.BFloat16);
        Assert.Equal(WeightPrecision.BFloat16, whole.Precision);
        parts[1].BFloat16Data.Span[0] = Bf16.FromSingle(2.5f);
        Assert.Equal(2.5f, Bf16.ToSingle(whole.BFloat16Data.Span[6]));
        Assert.False(whole.RequiresGrad);
    }

    [Fact]
    public void GatherWidensTheSelectedRows()
    {
        var rng = new Random(4);
        var (bits, wide) = Bf16GemmTests.RandomBf16(rng, 6 * 5);
        var t16 = new Parameter("e", bits, [6, 5], weightDecay: true);
        var tape = new Tape(recording: false);
        var y = Ops.Gather(tape, [4, 0, 4], t16).Span.ToArray();
        Assert.Equal(wide.AsSpan(20, 5).ToArray(), y[..5]);
        Assert.Equal(wide.AsSpan(0, 5).ToArray(), y[5..10]);
        Assert.Throws<ArgumentException>(() => Ops.Gather(tape, [6], t16));
    }

    [Fact]
    public void ARecordingPassThroughBf16WeightsIsFrozenButPassesGradientsOn()
    {
        var w = new Parameter("layer.weight", new ushort[8], [2, 4], weightDecay: true);
        var tape = new Tape();
        var x = tape.Constant(new float[4], 1, 4, requiresGrad: true);
        var y = Ops.Linear(tape, x, w, null);
        tape.Seed(y, [1f, 1f]);
        tape.Backward(); // dx = dy·W; no gradient of W
        Assert.False(w.RequiresGrad);
        var e = Assert.Throws<InvalidOperationException>(() => w.Grad);
        Assert.Contains("layer.weight holds bfloat16 weights, which are frozen", e.Message);
    }

    [Fact]
    public void UpdateOfBf16ValuesComputesInFloat32AndRoundsBack()
    {
        var p = new Parameter("w", [Bf16.FromSingle(1f), Bf16.FromSingle(-2f)], [2], weightDecay: false);
        p.Update(3f, static (v, add) =>
        {
            v[0] += add + 1f / 512; // 4 + 2^-9 rounds to 4
            v[1] *= add;
        });
        Assert.Equal(4f, Bf16.ToSingle(p.BFloat16Data.Span[0]));
        Assert.Equal(-6f, Bf16.ToSingle(p.BFloat16Data.Span[1]));
        var f = new Parameter("f", [1f], [1], weightDecay: false);
        f.Update(0.5f, static (v, add) => v[0] += add);
        Assert.Equal(1.5f, f.Data.Span[0]);
    }
}
