using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Memory;

namespace Skald.Tensors.Tests;

/// <summary>
/// Windowed attention with banded probabilities ([B, H, T, band]): the kernel against its scalar twin, against the dense
/// layout (same outputs, the band holds the dense entries, same gradients, same dropout masks), and memory linear in T.
/// </summary>
public sealed class BandedAttentionTests
{
    public static TheoryData<bool, int, float, int, bool, float> Cases => new()
    {
        { false, 3, 0f, 2, true, 0f },    // bidirectional window, GQA, padding
        { true, 3, 0f, 4, false, 0f },    // causal window, MHA
        { false, 2, 1.5f, 1, true, 0f },  // soft-cap, MQA
        { true, 4, 0f, 2, true, 0.3f },   // dropout
        { false, 5, 2f, 2, true, 0.25f }, // everything
    };

    private sealed record Inputs(float[] Q, float[] K, float[] V, float[] DO, float[] Mask);

    private static Inputs Make(int batch, int seq, int heads, int kvHeads, int d, bool masked)
    {
        var rng = new Random(21);
        var q = TestUtil.RandomArray(rng, batch * seq * heads * d, 2f);
        var k = TestUtil.RandomArray(rng, batch * seq * kvHeads * d, 2f);
        var v = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        var dO = TestUtil.RandomArray(rng, q.Length);
        var mask = new float[batch * seq];
        if (masked) { mask[0] = float.MinValue; mask[2 * seq - 1] = mask[2 * seq - 2] = float.MinValue; }
        return new Inputs(q, k, v, dO, mask);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BandedKernelMatchesItsTwinAndTheDenseLayout(bool causal, int window, float softCap, int kvHeads, bool masked,
        float dropout)
    {
        int batch = 2, seq = 70, heads = 4, d = 5; // 70 rows: three query blocks, windows far narrower than T
        const ulong seed = 0xBADA55;
        var sc = new AttentionScoring(0.4f, causal, window, softCap);
        var banded = AttentionLayout.For(batch, seq, heads, kvHeads, d, sc);
        var dense = AttentionLayout.Dense(batch, seq, heads, kvHeads, d);
        Assert.Equal(sc.BandWidth, banded.Band);
        Assert.Equal(causal ? window : 2 * window - 1, banded.Band);
        var x = Make(batch, seq, heads, kvHeads, d, masked);

        float[] o = new float[x.Q.Length], oe = new float[x.Q.Length], od = new float[x.Q.Length];
        float[] p = new float[banded.ProbsLength], pe = new float[banded.ProbsLength], pd = new float[dense.ProbsLength];
        Attention.Forward(x.Q, x.K, x.V, x.Mask, o, p, banded, sc, dropout, seed);
        Attention.ForwardReference(x.Q, x.K, x.V, x.Mask, oe, pe, banded, sc, dropout, seed);
        Attention.Forward(x.Q, x.K, x.V, x.Mask, od, pd, dense, sc, dropout, seed);
        TestUtil.AssertCloseScaled(oe, o, 1e-5, "banded vs twin: output");
        TestUtil.AssertClose(pe, p, 0, 2e-6, "banded vs twin: probabilities");
        TestUtil.AssertClose(od, o, 0, 1e-6, "banded vs dense: output");
        for (int bh = 0; bh < batch * heads; bh++)
        for (int t = 0; t < seq; t++)
        for (int j = 0; j < banded.Band; j++)
        {
            int s = t - (window - 1) + j;
            float expected = s >= 0 && s < seq ? pd[((long)bh * seq + t) * seq + s] : 0f;
            Assert.True(Math.Abs(expected - p[((long)bh * seq + t) * banded.Band + j]) <= 1e-6f, $"band ({bh}, {t}, {j})");
        }

        float[] dq = new float[x.Q.Length], dk = new float[x.K.Length], dv = new float[x.V.Length];
        float[] dqe = new float[x.Q.Length], dke = new float[x.K.Length], dve = new float[x.V.Length];
        float[] dqd = new float[x.Q.Length], dkd = new float[x.K.Length], dvd = new float[x.V.Length];
        Attention.Backward(x.DO, x.Q, x.K, x.V, p, dq, dk, dv, banded, sc, dropout, seed);
        Attention.BackwardReference(x.DO, x.Q, x.K, x.V, pe, dqe, dke, dve, banded, sc, dropout, seed);
        Attention.Backward(x.DO, x.Q, x.K, x.V, pd, dqd, dkd, dvd, dense, sc, dropout, seed);
        TestUtil.AssertCloseScaled(dqe, dq, 1e-5, "banded vs twin: dq");
        TestUtil.AssertCloseScaled(dke, dk, 1e-5, "banded vs twin: dk");
        TestUtil.AssertCloseScaled(dve, dv, 1e-5, "banded vs twin: dv");
        TestUtil.AssertClose(dqd, dq, 0, 2e-6, "banded vs dense: dq");
        TestUtil.AssertClose(dkd, dk, 0, 2e-6, "banded vs dense: dk");
        TestUtil.AssertClose(dvd, dv, 0, 2e-6, "banded vs dense: dv");
    }

    [Theory]
    [InlineData(true, 0, 0f, 0f)]
    [InlineData(false, 0, 1.5f, 0f)]
    [InlineData(false, 4, 0f, 0.2f)]
    [InlineData(true, 3, 2f, 0f)]
    public void InferenceWithoutKeptProbabilitiesGivesTheSameOutput(bool causal, int window, float softCap, float dropout)
    {
        // No probabilities buffer (a pass that does not record): blocks of query rows, full attention included.
        int batch = 2, seq = 45, heads = 4, kvHeads = 2, d = 5;
        var sc = new AttentionScoring(0.4f, causal, window, softCap);
        var layout = AttentionLayout.For(batch, seq, heads, kvHeads, d, sc);
        var dense = AttentionLayout.Dense(batch, seq, heads, kvHeads, d);
        var x = Make(batch, seq, heads, kvHeads, d, masked: true);
        float[] o = new float[x.Q.Length], od = new float[x.Q.Length];
        Attention.Forward(x.Q, x.K, x.V, x.Mask, o, default, layout, sc, dropout, 99);
        Attention.Forward(x.Q, x.K, x.V, x.Mask, od, new float[dense.ProbsLength], dense, sc, dropout, 99);
        TestUtil.AssertClose(od, o, 0, 1e-6, "output without probabilities");
        Assert.Throws<ArgumentException>(() => Attention.Backward(x.DO, x.Q, x.K, x.V, default, new float[x.Q.Length],
            new float[x.K.Length], new float[x.V.Length], layout, sc));
    }

    [Fact]
    public void ABandAsWideAsTheSequenceStaysDense()
    {
        var sc = new AttentionScoring(0.5f, false, 4);
        Assert.Equal(0, AttentionLayout.For(1, 7, 2, 2, 3, sc).Band);  // band 7 = T
        Assert.Equal(7, AttentionLayout.For(1, 8, 2, 2, 3, sc).Band);
        Assert.Equal(0, AttentionLayout.For(1, 100, 2, 2, 3, new AttentionScoring(0.5f)).Band); // no window
        Assert.Throws<ArgumentException>(() => Attention.Forward(new float[48], new float[48], new float[48], default,
            new float[48], new float[8 * 2 * 5], AttentionLayout.Dense(1, 8, 2, 2, 3) with { Band = 5 }, sc));
    }

    [Fact]
    public void WindowedAttentionMemoryIsLinearInT()
    {
        // The probabilities a recording pass keeps: B·H·T·(2w − 1) floats for a bidirectional window w, not B·H·T².
        int heads = 2, d = 4, w = 8;
        var sc = new AttentionScoring(0.5f, false, w);
        long Kept(int seq)
        {
            var tape = new Tape(new ChunkArena(1 << 12));
            var q = tape.Constant(new float[seq * heads * d], seq, heads * d, requiresGrad: true);
            long before = tape.Arena.CapacityFloats;
            Ops.DecoderAttention(tape, q, q, q, default, 1, seq, heads, heads, sc);
            return tape.Arena.CapacityFloats - before;
        }
        Assert.Equal(2L * 4096 * 15, AttentionLayout.For(2, 4096, 1, 1, d, sc).ProbsLength);
        long small = Kept(1024), large = Kept(4096);
        Assert.InRange(large, 3 * small, 5 * small);                 // ×4 the tokens, ×4 the memory
        Assert.True(large < (long)heads * 4096 * 4096 / 64, $"{large} floats kept for T = 4096");
    }
}
