using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// Int8-only weights (<see cref="Parameter.ReleaseFloat32"/>, <see cref="Tape.KeepInt8Only"/>): a stacked weight
/// quantised on a releasing tape holds no float32 values afterwards (its storage and its parts say so, its byte count
/// drops to the int8 form's), multiplies exactly as the same weight quantised with its float32 kept (bit for bit, also
/// on a tape without <see cref="Tape.QuantizeLinear"/>), each part's rows are its own quantisation, and everything that
/// needs float32 throws the one message.
/// </summary>
public sealed class Int8OnlyParameterTests
{
    private static (Parameter Whole, Parameter[] Parts) NewStack(int seed)
    {
        var (whole, parts) = Parameter.Stack("qkv", [("q.weight", [24, 40]), ("k.weight", [8, 40]), ("v.weight", [8, 40])], true);
        var rng = new Random(seed);
        var span = whole.Data.Span;
        for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() * 2 - 1);
        return (whole, parts);
    }

    private static float[] Input()
    {
        var rng = new Random(3);
        var x = new float[5 * 40];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        return x;
    }

    [Fact]
    public void AReleasingTapeKeepsOnlyTheInt8FormAndMultipliesAsBefore()
    {
        if (Int8Gemm.Best is null) return; // nothing is quantised without an int8 kernel
        var (kept, keptParts) = NewStack(1);
        var (released, parts) = NewStack(1);
        var x = Input();
        var reference = new Tape(recording: false) { QuantizeLinear = true };
        var expected = Ops.Linear(reference, reference.Constant(x, 5, 40), kept, null).Span.ToArray();
        long floatBytes = released.Bytes;

        var releasing = new Tape(recording: false) { QuantizeLinear = true, KeepInt8Only = true };
        var first = Ops.Linear(releasing, releasing.Constant(x, 5, 40), released, null).Span.ToArray();
        Assert.Equal(expected, first);
        Assert.True(released.IsInt8Only);
        Assert.All(parts, p => Assert.True(p.IsInt8Only));
        Assert.False(kept.IsInt8Only); // the reference tape did not release
        Assert.Equal(4L * 40 * 40, floatBytes);
        Assert.Equal(40L * 40 + 8 * 40, released.Bytes); // int8 values + a scale and a row sum a row
        Assert.Same(Int8Weights.Kept(released), Int8Weights.For(released));

        var plain = new Tape(recording: false); // no QuantizeLinear: an int8-only weight is multiplied in int8 anyway
        Assert.Equal(expected, Ops.Linear(plain, plain.Constant(x, 5, 40), released, null).Span.ToArray());

        for (int i = 0; i < parts.Length; i++) // each part's rows: the same values as the part quantised alone
        {
            var own = Int8Weights.For(keptParts[i])!;
            var rows = Int8Weights.For(parts[i])!;
            Assert.Equal(own.N, rows.N);
            var (a, b) = (new sbyte[40], new sbyte[40]);
            for (int j = 0; j < own.N; j++)
            {
                own.CopyRow(j, a);
                rows.CopyRow(j, b);
                Assert.Equal(a, b);
                Assert.Equal(own.Scales[j], rows.Scales[j]);
            }
        }
    }

    [Fact]
    public void WhatNeedsFloat32ThrowsTheOneMessage()
    {
        var form = Int8Matrix.Quantize(new float[6 * 4].Select((_, i) => i * 0.1f - 1f).ToArray(), 6, 4, 63);
        var weight = new Parameter("layer.0.dense.weight", form, true);
        Assert.True(weight.IsInt8Only);
        Assert.False(weight.RequiresGrad);
        Assert.Equal([6, 4], weight.Shape);
        foreach (var act in new Action[]
        {
            () => _ = weight.Data,
            () => _ = weight.Grad,
            () => weight.RequiresGrad = true,
            () => weight.EnsureTrainable(),
            () => weight.Update(0, (v, _) => v.Clear()),
        })
        {
            var e = Assert.Throws<InvalidOperationException>(act);
            Assert.StartsWith("layer.0.dense.weight holds int8 weights only", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        // A recording pass goes through it frozen (dequantised; LoRA on an int8 base, Int8LoraTests): no gradient of its own.
        var recording = new Tape(recording: true);
        var x = recording.Constant(new float[8], 2, 4, requiresGrad: true);
        var y = Ops.Linear(recording, x, weight, null);
        recording.Seed(y, new float[12]);
        recording.Backward();
        Assert.Throws<InvalidOperationException>(() => weight.Grad);

        var (_, parts) = NewStack(2); // a part cannot be released alone (its storage is shared with the whole)
        var partThrown = Assert.Throws<InvalidOperationException>(() => parts[0].ReleaseFloat32(Int8Matrix.Quantize(new float[24 * 40], 24, 40)));
        Assert.Contains("release the stacked whole", partThrown.Message);
    }
}
