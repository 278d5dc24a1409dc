using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Linear on a frozen 16-bit weight (bfloat16 or float16) with a LoRA adapter, recorded: the output and the gradients of
/// x, A and B equal those of the same pass on the float32 widening of the weight (the float32 backward has its own
/// finite-difference tests; here the 16-bit one must be the same map).
/// </summary>
public sealed class FrozenHalfLinearTests
{
    [Theory]
    [InlineData(WeightPrecision.BFloat16, 1)]
    [InlineData(WeightPrecision.BFloat16, 40)]
    [InlineData(WeightPrecision.Float16, 1)]
    [InlineData(WeightPrecision.Float16, 40)]
    public void LoraOnAFrozen16BitBaseTrainsAsOnTheWidenedFloat32Base(WeightPrecision format, int rows)
    {
        const int outF = 37, inF = 70, r = 4;
        var rng = new Random(rows + (int)format);
        var wide = TestUtil.RandomArray(rng, outF * inF);
        var bits = new ushort[wide.Length];
        F16.FromSingle(format, wide, bits);
        F16.ToSingle(format, bits, wide); // the float32 twin holds exactly the 16-bit values
        var x = TestUtil.RandomArray(rng, rows * inF);
        var a = TestUtil.RandomArray(rng, r * inF, 0.3f);
        var b = TestUtil.RandomArray(rng, outF * r, 0.3f);
        var bias = TestUtil.RandomArray(rng, outF);
        var dy = TestUtil.RandomArray(rng, rows * outF);

        (float[] Y, float[] Dx, float[] DA, float[] DB) Run(Parameter w)
        {
            w.RequiresGrad = false;
            var adapter = new LoraAdapter(new Parameter("a", (float[])a.Clone(), [r, inF], true),
                new Parameter("b", (float[])b.Clone(), [outF, r], true), 0.5f, 0f);
            w.Lora = adapter;
            var tape = new Tape();
            var xv = tape.Constant(x, rows, inF, requiresGrad: true);
            var y = Ops.Linear(tape, xv, w, new Parameter("bias", (float[])bias.Clone(), [outF], false) { RequiresGrad = false });
            var yOut = y.Span.ToArray();
            tape.Seed(y, dy);
            tape.Backward();
            return (yOut, xv.Grad.ToArray(), adapter.A.Grad.ToArray(), adapter.B.Grad.ToArray());
        }

        var half = Run(new Parameter("w", bits, format, [outF, inF], true));
        var full = Run(new Parameter("w", wide, [outF, inF], true));
        TestUtil.AssertCloseScaled(full.Y, half.Y, 1e-6, "y");
        TestUtil.AssertCloseScaled(full.Dx, half.Dx, 1e-6, "dx");
        TestUtil.AssertCloseScaled(full.DA, half.DA, 1e-6, "dA");
        TestUtil.AssertCloseScaled(full.DB, half.DB, 1e-6, "dB");
        Assert.Contains(half.Dx, v => v != 0f);
    }

    [Fact]
    public void Float16ParameterIsFrozenHalfTheMemoryAndWidensForGather()
    {
        var rng = new Random(9);
        var (bits, wide) = F16GemmTests.RandomF16(rng, 6 * 5);
        var p = new Parameter("e", bits, WeightPrecision.Float16, [6, 5], weightDecay: true);
        Assert.Equal(WeightPrecision.Float16, p.Precision);
        Assert.Equal(60, p.Bytes);
        Assert.False(p.RequiresGrad);
        var e = Assert.Throws<InvalidOperationException>(() => p.RequiresGrad = true);
        Assert.Contains("e holds float16 weights, which are frozen", e.Message);
        Assert.Throws<InvalidOperationException>(() => p.BFloat16Data);
        var y = Ops.Gather(new Tape(recording: false), [4, 0], p).Span.ToArray();
        Assert.Equal(wide.AsSpan(20, 5).ToArray(), y[..5]);
        Assert.Equal(wide.AsSpan(0, 5).ToArray(), y[5..]);
        var (whole, parts) = Parameter.Stack("gu", [("g", [2, 3]), ("u", [2, 3])], true, WeightPrecision.Float16);
        Assert.Equal(WeightPrecision.Float16, parts[1].Precision);
        parts[1].Bits16.Span[0] = F16.FromSingle(2.5f);
        Assert.Equal(2.5f, F16.ToSingle(whole.Bits16.Span[6]));
    }
}
