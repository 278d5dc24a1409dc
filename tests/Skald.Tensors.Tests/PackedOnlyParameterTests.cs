using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// Packed-only weights (<see cref="Parameter.ReleaseToPacked"/>, <see cref="Tape.KeepPackedOnly"/>): a stacked weight
/// packed on a releasing tape holds no float32 values afterwards (its storage and its parts say so), multiplies exactly
/// as the same weight pre-packed with its float32 kept (bit for bit; also the fused GELU and LayerNorm passes, a part
/// multiplied alone, and a tape without <see cref="Tape.PackWeights"/>), its values read back out of the panels are the
/// original ones (what saving and int8 quantisation use), a tied weight is never released, and everything that needs
/// the float32 values throws one line naming the weight.
/// </summary>
public sealed class PackedOnlyParameterTests
{
    private static (Parameter Whole, Parameter[] Parts) NewStack(int seed)
    {
        // 40 + 8 + 9 rows: parts that do not start on a panel boundary, a ragged last panel.
        var (whole, parts) = Parameter.Stack("qkv", [("q.weight", [40, 72]), ("k.weight", [8, 72]), ("v.weight", [9, 72])], true);
        var rng = new Random(seed);
        var span = whole.Data.Span;
        for (int i = 0; i < span.Length; i++) span[i] = (float)(rng.NextDouble() * 2 - 1);
        return (whole, parts);
    }

    private static float[] Run(Tape tape, Func<Tape, Variable> op)
    {
        tape.Reset();
        return op(tape).Span.ToArray();
    }

    // sixTerm 1: the packed form is what the six-term product reads (ManagedGemm.PackForLinear; through its scalar twin on
    // a CPU without AMX): the float32 panels, its pieces split per product, on the AVX-512 kernel's 32-wide panels, else
    // the weight's three bfloat16 pieces, or those on any panels when the tape asks to hold them (Tape.HoldWeightPieces);
    // −1: the float32 panels (the FMA kernels), whatever the tape asks.
    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    [InlineData(-1, true)]
    public void AReleasingTapeKeepsOnlyThePackedFormAndMultipliesBitForBitAsPrePacked(int sixTerm, bool holdPieces)
    {
        if (Blas.Backend is not ManagedGemm) return; // no packed operand on other backends: nothing is released
        int was = SixTermGemm.Override;
        SixTermGemm.Override = sixTerm;
        try
        {
            ReleasedAndPrePacked(sixTerm > 0, holdPieces);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    private static void ReleasedAndPrePacked(bool pieces, bool holdPieces)
    {
        var (kept, keptParts) = NewStack(1);
        var (released, parts) = NewStack(1);
        var values = kept.Data.ToArray();
        var rng = new Random(5);
        var x = TestUtil.RandomArray(rng, 7 * 72);
        var residual = TestUtil.RandomArray(rng, 7 * 57);
        var gamma = new Parameter("ln.weight", TestUtil.RandomArray(rng, 57), [57], false);
        var beta = new Parameter("ln.bias", TestUtil.RandomArray(rng, 57), [57], false);
        var bias = new Parameter("qkv.bias", TestUtil.RandomArray(rng, 57), [57], false);
        Variable Linear(Tape t, Parameter w) => Ops.Linear(t, t.Constant(x, 7, 72), w, bias);
        Variable Gelu(Tape t, Parameter w) => Ops.LinearActivation(t, t.Constant(x, 7, 72), w, bias, ActivationKind.Gelu);
        Variable Norm(Tape t, Parameter w) =>
            Ops.LinearAddLayerNorm(t, t.Constant(x, 7, 72), w, bias, t.Constant(residual, 7, 57), gamma, beta, 1e-12f, 0f);

        var prePacked = new Tape(recording: false) { PackWeights = true };
        var expected = Run(prePacked, t => Linear(t, kept));
        var expectedGelu = Run(prePacked, t => Gelu(t, kept));
        var expectedNorm = Run(prePacked, t => Norm(t, kept));
        var expectedPart = Run(prePacked, t => Ops.Linear(t, t.Constant(x, 7, 72), keptParts[1], null));

        var releasing = new Tape(recording: false) { PackWeights = true, KeepPackedOnly = true, HoldWeightPieces = holdPieces };
        Assert.Equal(expected, Run(releasing, t => Linear(t, released)));
        Assert.True(released.IsPackedOnly);
        Assert.All(parts, p => Assert.True(p.IsPackedOnly));
        Assert.False(kept.IsPackedOnly); // the pre-packing tape did not release
        Assert.False(released.RequiresGrad);
        bool sixBytes = pieces && (holdPieces || ((ManagedGemm)Blas.Backend).Kernel != ManagedGemmKernel.Vector512);
        Assert.Equal((sixBytes ? 6L : 4L) * 57 * 72, released.Bytes); // one copy (panels or pieces), padding not counted
        Assert.Equal(!sixBytes, released.PackedForLinear(holdPieces: false)!.HasPanels);

        var plain = new Tape(recording: false); // no PackWeights: a packed-only weight is read packed anyway
        Assert.Equal(expected, Run(plain, t => Linear(t, released)));
        Assert.Equal(expectedGelu, Run(plain, t => Gelu(t, released)));
        Assert.Equal(expectedGelu, Run(releasing, t => Gelu(t, released)));
        Assert.Equal(expectedNorm, Run(releasing, t => Norm(t, released)));
        Assert.Equal(expectedPart, Run(plain, t => Ops.Linear(t, t.Constant(x, 7, 72), parts[1], null))); // a part alone

        // The values read back out of the panels are the original ones: whole, each part, and any slice.
        var read = new float[values.Length];
        released.Widen(0, read);
        Assert.Equal(values, read);
        for (int i = 0; i < parts.Length; i++)
        {
            var part = new float[parts[i].Length];
            parts[i].Widen(0, part);
            Assert.Equal(keptParts[i].Data.ToArray(), part);
        }
        var slice = new float[100];
        parts[0].Widen(50, slice);
        Assert.Equal(values.AsSpan(50, 100).ToArray(), slice);
    }

    [Theory]
    [InlineData(ManagedGemmKernel.Vector512)]
    [InlineData(ManagedGemmKernel.Vector256)]
    [InlineData(ManagedGemmKernel.Vector256Wide)]
    [InlineData(ManagedGemmKernel.Vector128)]
    public void UnpackingReadsTheExactValuesOfEveryKernelsPanels(ManagedGemmKernel kernel)
    {
        var gemm = new ManagedGemm(kernel); // each kernel's panel width (ragged last panel: 37 rows)
        var w = TestUtil.RandomArray(new Random(11), 37 * 29);
        var packed = gemm.Pack(true, 29, 37, w, 29);
        var all = new float[w.Length];
        PackedUnpack.CopyRowMajor(packed, 0, all);
        Assert.Equal(w, all);
        var slice = new float[300];
        PackedUnpack.CopyRowMajor(packed, 101, slice);
        Assert.Equal(w.AsSpan(101, 300).ToArray(), slice);
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedUnpack.CopyRowMajor(packed, w.Length - 5, new float[6]));
    }

    [Fact]
    public void Int8QuantisationWorksFromThePackedForm()
    {
        if (Blas.Backend is not ManagedGemm || Int8Gemm.Best is null) return;
        var (kept, keptParts) = NewStack(2);
        var (released, parts) = NewStack(2);
        released.ReleaseToPacked();
        var a = Int8Weights.For(kept)!;
        var b = Int8Weights.For(released)!;
        var part = Int8Weights.For(parts[2])!; // a part of a packed-only stack: its rows read out of the whole's panels
        var keptPart = Int8Weights.For(keptParts[2])!;
        var (ra, rb) = (new sbyte[72], new sbyte[72]);
        for (int j = 0; j < a.N; j++)
        {
            a.CopyRow(j, ra);
            b.CopyRow(j, rb);
            Assert.Equal(ra, rb);
            Assert.Equal(a.Scales[j], b.Scales[j]);
        }
        for (int j = 0; j < part.N; j++)
        {
            keptPart.CopyRow(j, ra);
            part.CopyRow(j, rb);
            Assert.Equal(ra, rb);
        }
        var tape = new Tape(recording: false) { QuantizeLinear = true, KeepInt8Only = true }; // packed-only → int8-only
        Ops.Linear(tape, tape.Constant(new float[72], 1, 72), released, null);
        Assert.True(released.IsInt8Only);
        Assert.False(released.IsPackedOnly);
    }

    [Fact]
    public void WhatNeedsFloat32ThrowsOneLineNamingTheWeight()
    {
        if (Blas.Backend is not ManagedGemm) return;
        var (whole, parts) = NewStack(3);
        Assert.Equal(4L * whole.Length, whole.ReleaseToPacked());
        Assert.Equal(0, whole.ReleaseToPacked()); // already
        foreach (var weight in new[] { whole, parts[1] })
        {
            foreach (var act in new Action[]
            {
                () => _ = weight.Data, // writing to it, merging adapters
                () => _ = weight.Grad,
                () => weight.RequiresGrad = true, // training it
                () => weight.EnsureTrainable(),
                () => weight.Update(0, (v, _) => v.Clear()), // merging an adapter
            })
            {
                var e = Assert.Throws<InvalidOperationException>(act);
                Assert.StartsWith($"{weight.Name} holds only its GEMM-packed form", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
        }
        var recording = new Tape(recording: true); // training through it: refused by the same message
        var x = recording.Constant(new float[2 * 72], 2, 72);
        Assert.Contains("holds only its GEMM-packed form", Assert.Throws<InvalidOperationException>(() => Ops.Linear(recording, x, whole, null)).Message);

        var (_, other) = NewStack(4); // a part cannot be released alone (its storage is shared with the whole)
        Assert.Contains("release the stacked whole", Assert.Throws<InvalidOperationException>(() => other[0].ReleaseToPacked()).Message);
    }

    [Fact]
    public void ATiedWeightIsNeverReleased()
    {
        if (Blas.Backend is not ManagedGemm) return;
        var rng = new Random(9);
        var table = new Parameter("embed_tokens.weight", TestUtil.RandomArray(rng, 50 * 16), [50, 16], true) { Tied = true };
        var releasing = new Tape(recording: false) { PackWeights = true, KeepPackedOnly = true };
        var logits = Run(releasing, t => Ops.Linear(t, t.Constant(TestUtil.RandomArray(rng, 3 * 16), 3, 16), table, null));
        Assert.Equal(3 * 50, logits.Length);
        Assert.False(table.IsPackedOnly); // the lookup still reads its rows
        Assert.Equal(50 * 16, table.Data.Length);
        Assert.Contains("is tied", Assert.Throws<InvalidOperationException>(() => table.ReleaseToPacked()).Message);
        if (Int8Gemm.Best is not null)
        {
            var int8 = new Tape(recording: false) { QuantizeLinear = true, KeepInt8Only = true };
            Run(int8, t => Ops.Linear(t, t.Constant(new float[16], 1, 16), table, null));
            Assert.False(table.IsInt8Only);
        }
    }
}
