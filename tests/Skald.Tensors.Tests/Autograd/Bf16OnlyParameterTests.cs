using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Bf16-only weights (<see cref="Parameter.ReleaseToBf16"/>, what a generator's <c>--quantize bf16</c> makes): the
/// values dropped for the bfloat16 panels (2 bytes a value), read back by <see cref="Parameter.Widen"/> (a stacked
/// part's own rows too), multiplied by the panels on any tape that does not record (the same bits as the bfloat16
/// product of the kept weight), the values' accessors and a recording pass refused in one line; a tied float32 weight
/// and a part of a stack are refused, a tied bfloat16 table is looked up in its panels. The tape's <see cref="Tape.KeepBf16Only"/> releases the weights it multiplies.
/// </summary>
public sealed class Bf16OnlyParameterTests
{
    [Bf16Fact]
    public void ABf16OnlyWeightHoldsItsPanelsAndMultipliesAsTheKeptForm()
    {
        var rng = new Random(5);
        var values = TestUtil.RandomArray(rng, 37 * 70);
        var kept = new Parameter("kept", (float[])values.Clone(), [37, 70], weightDecay: true);
        var w = new Parameter("w", (float[])values.Clone(), [37, 70], weightDecay: true);
        var x = TestUtil.RandomArray(rng, 3 * 70);
        var tape = new Tape(recording: false) { Bf16Linear = true, KeepBf16Only = true };
        var expected = Ops.Linear(tape, tape.Constant(x, 3, 70), kept, null).Span.ToArray(); // released: it may be
        Assert.True(kept.IsBf16Only);
        Assert.Equal(2L * 37 * 70, kept.Bytes);
        Assert.Null(Bf16Weights.Held().FirstOrDefault(p => ReferenceEquals(p, kept))); // its storage holds the panels, nothing beside

        w.ReleaseToBf16(Bf16Matrix.FromSingle(values, 37, 70));
        var plain = new Tape(recording: false); // no Bf16Linear: a bf16-only weight is bfloat16 anyway
        Assert.Equal(expected, Ops.Linear(plain, plain.Constant(x, 3, 70), w, null).Span.ToArray());
        var wide = new float[37 * 70];
        w.Widen(0, wide);
        var rounded = new ushort[wide.Length];
        Bf16.FromSingleReference(values, rounded);
        Assert.Equal(rounded.Select(Bf16.ToSingle).ToArray(), wide);
        var e = Assert.Throws<InvalidOperationException>(() => w.Data);
        Assert.Contains("w holds bfloat16 GEMM panels only", e.Message);
        var recording = new Tape();
        Assert.Throws<InvalidOperationException>(() => Ops.Linear(recording, recording.Constant(x, 3, 70), w, null));
    }

    [Fact]
    public void AStackedWholeTakesItsPartsAndTiedPartsAndLoraAreRefused()
    {
        var rng = new Random(6);
        var (whole, parts) = Parameter.Stack("gate_up", [("gate", [3, 4]), ("up", [2, 4])], weightDecay: true);
        var values = TestUtil.RandomArray(rng, 20);
        values.CopyTo(whole.Data.Span);
        Assert.Contains("part of a stacked weight", Assert.Throws<InvalidOperationException>(() => parts[1].ReleaseToBf16(Bf16Matrix.FromSingle(values, 2, 4))).Message);
        whole.ReleaseToBf16(Bf16Matrix.FromSingle(values, 5, 4));
        Assert.True(parts[1].IsBf16Only);
        var row = new float[8];
        parts[1].Widen(0, row);
        Assert.Equal(values[12..].Select(v => Bf16.ToSingle(Bf16.FromSingle(v))).ToArray(), row);

        var tied = new Parameter("table", TestUtil.RandomArray(rng, 8), [2, 4], weightDecay: false) { Tied = true };
        Assert.Contains("tied", Assert.Throws<InvalidOperationException>(() => tied.ReleaseToBf16(Bf16Matrix.FromSingle(new float[8], 2, 4))).Message);
        // a tied bfloat16 table: the lookup reads the same bits out of the panels
        var bits = TestUtil.RandomArray(rng, 12).Select(Bf16.FromSingle).ToArray();
        var table = new Parameter("table16", bits, [3, 4], weightDecay: false) { Tied = true };
        var tape = new Tape(recording: false);
        var before = Ops.Gather(tape, [2, 0, 2], table).Span.ToArray();
        table.ReleaseToBf16(Bf16Matrix.FromBits(bits, 3, 4));
        Assert.True(table.IsBf16Only);
        Assert.Equal(before, Ops.Gather(tape, [2, 0, 2], table).Span.ToArray());
        var bad = new Parameter("w", new float[8], [2, 4], weightDecay: false);
        Assert.Throws<ArgumentException>(() => bad.ReleaseToBf16(Bf16Matrix.FromSingle(new float[8], 4, 2)));
    }
}
