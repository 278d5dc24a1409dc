using System.Runtime.Intrinsics;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// The direct inference attention kernel (no packing, no probabilities kept): its Vector512 tiles against their scalar
/// twin (same bits), the kernel against the double-accumulating <see cref="Attention.ForwardReference(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, AttentionLayout, AttentionScoring, float, ulong)"/>,
/// the same bytes for any partition of the work, <see cref="Attention.ForwardInference"/> taking it, and the ops taking
/// it only on a non-recording tape with <see cref="Tape.DirectAttention"/>.
/// </summary>
public sealed class DirectAttentionTests
{
    public static TheoryData<string, int, int, int, int, int, bool, int, float, bool> Cases => new()
    {
        // name, batch, seq, heads, kvHeads, headDim, causal, window, softCap, fused (q/k/v columns of one [B·T, 3C])
        { "bert seq 32 padded", 3, 32, 4, 4, 64, false, 0, 0f, true },
        { "bert odd seq", 2, 37, 3, 3, 64, false, 0, 0f, true },
        { "decoder causal gqa", 2, 45, 6, 2, 64, true, 0, 0f, false },
        { "decoder seq 128 gqa", 1, 128, 4, 1, 32, true, 0, 0f, false },
        { "causal window", 2, 41, 4, 2, 16, true, 5, 0f, false },
        { "bidirectional window", 2, 29, 4, 4, 48, false, 4, 0f, false },
        { "soft-cap", 2, 23, 4, 2, 64, false, 0, 1.5f, false },
        { "odd head dim", 2, 19, 3, 1, 5, true, 0, 0f, false },
        { "head dim 33", 1, 50, 2, 2, 33, false, 0, 2f, true },
        { "one token", 3, 1, 2, 1, 64, true, 0, 0f, false },
        { "head dim 80", 1, 70, 2, 1, 80, true, 7, 0f, false },
    };

    private sealed record Inputs(float[] Q, float[] K, float[] V, float[] Mask, AttentionLayout Layout, int QAt, int KAt,
        int VAt, int OutLength);

    private static Inputs Make(int batch, int seq, int heads, int kvHeads, int d, bool fused, AttentionScoring sc)
    {
        var rng = new Random(seq * 31 + d);
        var mask = new float[batch * seq];
        // padding: the last keys of every sequence but the first are masked
        for (int b = 1; b < batch; b++)
        for (int s = seq - Math.Min(seq - 1, 3 * b); s < seq; s++) mask[b * seq + s] = float.MinValue;
        var dense = AttentionLayout.For(batch, seq, heads, kvHeads, d, sc);
        if (!fused)
        {
            var q = TestUtil.RandomArray(rng, batch * seq * heads * d, 2f);
            var k = TestUtil.RandomArray(rng, batch * seq * kvHeads * d, 2f);
            var v = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
            return new Inputs(q, k, v, mask, dense, 0, 0, 0, q.Length);
        }
        int c = heads * d;
        var qkv = TestUtil.RandomArray(rng, batch * seq * 3 * c, 2f);
        return new Inputs(qkv, qkv, qkv, mask, dense with { LdQ = 3 * c, LdKv = 3 * c }, 0, c, 2 * c, batch * seq * c);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DirectKernelMatchesItsTwinAndTheReference(string name, int batch, int seq, int heads, int kvHeads, int d,
        bool causal, int window, float softCap, bool fused)
    {
        var sc = new AttentionScoring(1f / MathF.Sqrt(d), causal, window, softCap);
        var x = Make(batch, seq, heads, kvHeads, d, fused, sc);
        var l = x.Layout;
        ReadOnlySpan<float> q = x.Q.AsSpan(x.QAt), k = x.K.AsSpan(x.KAt), v = x.V.AsSpan(x.VAt);
        float[] expected = new float[x.OutLength], scalar = new float[x.OutLength];
        Attention.ForwardReference(q, k, v, x.Mask, expected, new float[l.ProbsLength], l, sc);
        Attention.ForwardDirect(q, k, v, x.Mask, scalar, l, sc, vectorized: false);
        TestUtil.AssertCloseScaled(expected, scalar, 2e-6, $"{name}: scalar twin vs reference");
        Assert.True(scalar.Any(f => f != 0f), name);
        if (!Vector512.IsHardwareAccelerated) return;
        foreach (int chunks in new[] { 0, 1, 2, 3 })
        {
            var o = new float[x.OutLength];
            Attention.ForwardDirect(q, k, v, x.Mask, o, l, sc, vectorized: true, chunks);
            Assert.True(scalar.AsSpan().SequenceEqual(o), $"{name}: Vector512 with {chunks} chunks differs from the scalar twin");
        }
        // The public inference entry takes the direct kernel (same bits); Forward keeps the packed GEMMs.
        var viaInference = new float[x.OutLength];
        Attention.ForwardInference(q, k, v, x.Mask, viaInference, l, sc);
        Assert.True(Attention.UsesDirect(l));
        Assert.True(scalar.AsSpan().SequenceEqual(viaInference), $"{name}: Attention.ForwardInference");
        var kept = new float[x.OutLength];
        Attention.Forward(q, k, v, x.Mask, kept, new float[l.ProbsLength], l, sc);
        TestUtil.AssertCloseScaled(kept, viaInference, 2e-6, $"{name}: Forward vs ForwardInference");
    }

    [Fact]
    public void PartialTilesNeverWriteOutsideTheirHeads()
    {
        // Output columns of other heads and the padding past the last row stay untouched (fused layout, odd T, odd D).
        int batch = 2, seq = 11, heads = 3, d = 21, c = heads * d, ldOut = c + 7;
        var sc = new AttentionScoring(0.3f, true);
        var rng = new Random(5);
        var qkv = TestUtil.RandomArray(rng, batch * seq * 3 * c);
        var l = new AttentionLayout(batch, seq, heads, heads, d, 3 * c, 3 * c, ldOut);
        var o = new float[batch * seq * ldOut + 5];
        Array.Fill(o, 7f);
        Attention.ForwardDirect(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), default, o, l, sc, vectorized: true);
        for (int r = 0; r < batch * seq; r++)
        for (int j = c; j < ldOut; j++) Assert.Equal(7f, o[r * ldOut + j]);
        for (int j = batch * seq * ldOut; j < o.Length; j++) Assert.Equal(7f, o[j]);
        var expected = new float[batch * seq * ldOut];
        Attention.ForwardReference(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), default, expected, new float[l.ProbsLength], l, sc);
        for (int r = 0; r < batch * seq; r++)
            TestUtil.AssertCloseScaled(expected.AsSpan(r * ldOut, c), o.AsSpan(r * ldOut, c), 2e-6, $"row {r}");
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(37, 64)]
    [InlineData(50, 21)]
    [InlineData(7, 33)]
    public unsafe void TransposeMatchesTheDefinition(int rows, int cols)
    {
        int ldSrc = cols + 9, ldDst = rows + 20;
        var src = TestUtil.RandomArray(new Random(rows), rows * ldSrc);
        foreach (bool vectorized in new[] { false, true })
        {
            var dst = new float[cols * ldDst];
            Array.Fill(dst, 3f);
            fixed (float* ps = src, pd = dst) AttentionTile.Transpose(ps, ldSrc, rows, cols, pd, ldDst, vectorized);
            for (int i = 0; i < cols; i++)
            for (int j = 0; j < ldDst; j++)
                Assert.Equal(j < rows ? src[j * ldSrc + i] : 3f, dst[i * ldDst + j]);
        }
    }

    [Fact]
    public unsafe void FusedSoftmaxRowMatchesTheReference()
    {
        var rng = new Random(3);
        foreach (int len in new[] { 1, 5, 16, 17, 32, 45, 128, 131 })
        foreach (bool masked in new[] { false, true })
        {
            var x = TestUtil.RandomArray(rng, len, 6f);
            var mask = new float[len];
            if (masked) for (int i = 0; i < len; i += 3) mask[i] = i == 0 && len > 1 ? float.MinValue : -0.5f * i;
            var biased = new float[len];
            for (int i = 0; i < len; i++) biased[i] = x[i] + mask[i];
            var expected = new float[len];
            Softmax.ForwardReference(biased, expected, 1, len);
            var row = new float[(len + 15) & ~15];
            x.CopyTo(row, 0);
            fixed (float* pr = row, pm = mask) AttentionSoftmax.Row(pr, masked ? pm : null, len);
            TestUtil.AssertClose(expected, row.AsSpan(0, len), 2e-6, 1e-7, $"softmax row of {len}");
            for (int i = len; i < row.Length; i++) Assert.Equal(0f, row[i]);
        }
        var allMasked = new float[16];
        Array.Fill(allMasked, float.NegativeInfinity);
        fixed (float* p = allMasked) AttentionSoftmax.Row(p, null, 3);
        Assert.Equal(new[] { 1f / 3, 1f / 3, 1f / 3 }, allMasked[..3]);
    }

    [Fact]
    public void SoftmaxExpIsWithinAFewUlpOnTheNonPositiveRange()
    {
        var rng = new Random(9);
        double worst = 0;
        for (int n = 0; n < 4096; n++)
        {
            var x = new float[16];
            for (int j = 0; j < 16; j++) x[j] = n < 16 ? -j * 1e-3f * n : (float)(-rng.NextDouble() * 87);
            var e = AttentionSoftmax.Exp(Vector512.Create(x));
            for (int j = 0; j < 16; j++) worst = Math.Max(worst, Math.Abs(e[j] - Math.Exp(x[j])) / Math.Exp(x[j]));
        }
        Assert.True(worst < 3e-7, $"relative error {worst:E3}");
        var edge = AttentionSoftmax.Exp(Vector512.Create(float.NegativeInfinity, float.MinValue, -88f, -87.5f, 0f, float.NaN,
            -1e-30f, -0.5f, -1f, -2f, -10f, -20f, -40f, -60f, -80f, -86.9f));
        Assert.Equal(0f, edge[0]);
        Assert.Equal(0f, edge[1]);
        Assert.Equal(0f, edge[2]);
        Assert.Equal(0f, edge[3]);
        Assert.Equal(1f, edge[4]);
        Assert.True(float.IsNaN(edge[5]));
        Assert.Equal(1f, edge[6]);
        for (int j = 7; j < 16; j++) Assert.True(edge[j] > 0f, $"lane {j}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OpsUseTheDirectKernelOnlyOnADirectAttentionInferenceTape(bool decoder)
    {
        int batch = 2, seq = 20, heads = 4, kvHeads = decoder ? 2 : 4, d = 16, c = heads * d;
        var rng = new Random(12);
        var qkv = TestUtil.RandomArray(rng, batch * seq * 3 * c, 2f);
        var mask = new float[batch * seq];
        mask[2 * seq - 1] = float.MinValue;
        var sc = new AttentionScoring(0.25f, decoder);
        float[] Run(bool recording, bool direct)
        {
            var tape = new Tape(recording: recording) { DirectAttention = direct };
            var x = tape.Constant(qkv, batch * seq, 3 * c, requiresGrad: true);
            if (!decoder) return Ops.Attention(tape, x, mask, batch, seq, heads, 0f).Span.ToArray();
            var q = Ops.Columns(tape, x, 0, c);
            var k = Ops.Columns(tape, x, c, kvHeads * d);
            var v = Ops.Columns(tape, x, 2 * c, kvHeads * d);
            return Ops.DecoderAttention(tape, q, k, v, mask, batch, seq, heads, kvHeads, sc).Span.ToArray();
        }
        var recorded = Run(true, true);
        Assert.Equal(recorded, Run(false, false));   // unrecorded passes without the flag: the recording pass's bits
        var direct = Run(false, true);
        TestUtil.AssertCloseScaled(recorded, direct, 2e-6, "direct vs recorded");
        if (Vector512.IsHardwareAccelerated) Assert.NotEqual(recorded, direct); // the flag did reach the kernel
    }

    [Fact]
    public void InferenceBeyondTheDirectBoundFallsBackToTheGemmPath()
    {
        int seq = Attention.DirectMaxSeq + 1, d = 4;
        var l = AttentionLayout.Dense(1, seq, 1, 1, d);
        var sc = new AttentionScoring(0.5f, true);
        var rng = new Random(4);
        float[] q = TestUtil.RandomArray(rng, seq * d), k = TestUtil.RandomArray(rng, seq * d), v = TestUtil.RandomArray(rng, seq * d);
        Assert.False(Attention.UsesDirect(l));
        float[] o = new float[seq * d], expected = new float[seq * d];
        Attention.ForwardInference(q, k, v, default, o, l, sc);
        Attention.ForwardReference(q, k, v, default, expected, new float[l.ProbsLength], l, sc);
        TestUtil.AssertCloseScaled(expected, o, 2e-6, "beyond the bound");
    }
}
