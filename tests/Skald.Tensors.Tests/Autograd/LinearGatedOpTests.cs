using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// <see cref="Ops.LinearGated"/> (a decoder's gate_proj/up_proj then f(gate) ⊙ up): on a bfloat16 tape with each half a
/// whole number of panels it is one pass that puts only the [n, I] output on the tape (no [n, 2I] intermediate) and
/// gives the bits of <see cref="Ops.GatedActivation"/> after the bfloat16 <see cref="Ops.Linear"/>, the stacked weight
/// then released to its panels under <see cref="Tape.KeepBf16Only"/>; halves that are not whole panels, and a recording
/// tape, take the two ops (the latter with gradients).
/// </summary>
public sealed class LinearGatedOpTests
{
    private static (Parameter Whole, Parameter Bias) GateUp(Random rng, int inter, int c)
    {
        var (whole, _) = Parameter.Stack("gate_up", [("gate", [inter, c]), ("up", [inter, c])], weightDecay: true);
        TestUtil.RandomArray(rng, 2 * inter * c).CopyTo(whole.Data.Span);
        return (whole, new Parameter("bias", TestUtil.RandomArray(rng, 2 * inter), [2 * inter], weightDecay: false));
    }

    [Bf16Fact]
    public void OnABf16TapeItIsOnePassWithTheBitsOfTheTwoOps()
    {
        const int n = 5, inter = 32, c = 24;
        var rng = new Random(11);
        var (whole, bias) = GateUp(rng, inter, c);
        var x = TestUtil.RandomArray(rng, n * c);
        foreach (var f in new[] { GateFunction.Silu, GateFunction.GeluTanh })
        {
            var tape = new Tape(recording: false) { Bf16Linear = true };
            var expected = Ops.GatedActivation(tape, Ops.Linear(tape, tape.Constant(x, n, c), whole, bias), f).Span.ToArray();
            var input = tape.Constant(x, n, c);
            var before = tape.Arena.Mark();
            var fused = Ops.LinearGated(tape, input, whole, bias, f);
            var after = tape.Arena.Mark();
            Assert.Equal(before.Chunk, after.Chunk);
            Assert.Equal(n * inter, after.Offset - before.Offset); // the output alone (n · I floats, 64-byte aligned here)
            Assert.Equal((n, inter), (fused.Rows, fused.Cols));
            Assert.Equal(expected, fused.Span.ToArray());
        }
        var keep = new Tape(recording: false) { Bf16Linear = true, KeepBf16Only = true };
        var reference = Ops.GatedActivation(keep, Ops.Linear(keep, keep.Constant(x, n, c), whole, bias), GateFunction.Silu).Span.ToArray();
        Assert.True(whole.IsBf16Only);
        var plain = new Tape(recording: false); // a bf16-only weight is multiplied in bfloat16 on any tape
        Assert.Equal(reference, Ops.LinearGated(plain, plain.Constant(x, n, c), whole, bias, GateFunction.Silu).Span.ToArray());
    }

    [Fact]
    public void HalvesOfPartPanelsAndARecordingTapeTakeTheTwoOps()
    {
        const int n = 3, inter = 20, c = 8;
        var rng = new Random(12);
        var (whole, bias) = GateUp(rng, inter, c);
        var x = TestUtil.RandomArray(rng, n * c);
        var tape = new Tape(recording: false) { Bf16Linear = true };
        var expected = Ops.GatedActivation(tape, Ops.Linear(tape, tape.Constant(x, n, c), whole, bias), GateFunction.Silu).Span.ToArray();
        Assert.Equal(expected, Ops.LinearGated(tape, tape.Constant(x, n, c), whole, bias, GateFunction.Silu).Span.ToArray());

        var recording = new Tape();
        var input = recording.Constant(x, n, c);
        var y = Ops.LinearGated(recording, input, whole, bias, GateFunction.Silu);
        var plain = new Tape(recording: false);
        Assert.Equal(Ops.GatedActivation(plain, Ops.Linear(plain, plain.Constant(x, n, c), whole, bias), GateFunction.Silu).Span.ToArray(),
            y.Span.ToArray()); // float32, recorded
        Assert.True(recording.Count > 0);
    }
}
