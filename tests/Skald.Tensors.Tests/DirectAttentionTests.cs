using System.Runtime.Intrinsics;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// The direct inference attention kernel (no packing, no probabilities kept): its Vector512 tiles against their scalar
/// twin (same bits), the kernel against the double-accumulating <see cref="Attention.ForwardReference(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, AttentionLayout, AttentionScoring, float, ulong)"/>,
/// the same bytes for any partition of the work, and the public entry taking it when no probabilities are kept.
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
        // The public entry without probabilities takes the direct kernel (same bits); with them, the packed GEMMs.
        var viaForward = new float[x.OutLength];
        Attention.Forward(q, k, v, x.Mask, viaForward, default, l, sc);
        if (Attention.DirectEnabled && seq <= Attention.DirectMaxSeq)
            Assert.True(scalar.AsSpan().SequenceEqual(viaForward), $"{name}: Attention.Forward without probabilities");
        var kept = new float[x.OutLength];
        Attention.Forward(q, k, v, x.Mask, kept, new float[l.ProbsLength], l, sc);
        TestUtil.AssertCloseScaled(kept, viaForward, 2e-6, $"{name}: with vs without probabilities");
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
}
