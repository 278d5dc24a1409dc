using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>The decoder kernels (RMSNorm, RoPE, gated activations, grouped-query attention) against their scalar twins.</summary>
public sealed class DecoderKernelTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public void RmsNormMatchesReference(float offset)
    {
        const int rows = 37, cols = 67;
        var rng = new Random(3);
        var x = TestUtil.RandomArray(rng, rows * cols, 2f);
        var w = TestUtil.RandomArray(rng, cols);
        var dy = TestUtil.RandomArray(rng, rows * cols);
        float[] y = new float[x.Length], ye = new float[x.Length], r = new float[rows], re = new float[rows];
        RmsNorm.Forward(x, w, y, r, rows, cols, 1e-6f, offset);
        RmsNorm.ForwardReference(x, w, ye, re, rows, cols, 1e-6f, offset);
        TestUtil.AssertClose(ye, y, 1e-5, 1e-6, "rmsnorm y");
        TestUtil.AssertClose(re, r, 1e-6, 0, "rmsnorm rstd");
        float[] dx = new float[x.Length], dxe = new float[x.Length], dw = Enumerable.Repeat(0.5f, cols).ToArray();
        var dwe = Enumerable.Repeat(0.5f, cols).ToArray();
        RmsNorm.Backward(dy, x, w, r, dx, dw, rows, cols, offset);
        RmsNorm.BackwardReference(dy, x, w, re, dxe, dwe, rows, cols, offset);
        TestUtil.AssertCloseScaled(dxe, dx, 1e-5, "rmsnorm dx");
        TestUtil.AssertCloseScaled(dwe, dw, 1e-5, "rmsnorm dw (accumulated onto 0.5)");
        Assert.All(dw, v => Assert.NotEqual(0.5f, v));
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(64, 32)] // partial rotary
    [InlineData(6, 6)]   // head smaller than a vector
    public void RopeMatchesReferenceAndBackwardInvertsForward(int headDim, int rotaryDim)
    {
        int seq = 9, batch = 3, heads = 3, width = heads * headDim, rows = batch * seq;
        var table = new RopeTable(headDim, 10000, null, rotaryDim / (double)headDim);
        Assert.Equal(rotaryDim, table.RotaryDim);
        var (cos, sin) = table.Get(seq);
        var x = TestUtil.RandomArray(new Random(4), rows * width);
        float[] y = new float[x.Length], ye = new float[x.Length], back = new float[x.Length];
        Rope.Forward(x, y, cos, sin, rows, seq, width, headDim, rotaryDim);
        Rope.ForwardReference(x, ye, cos, sin, rows, seq, width, headDim, rotaryDim);
        TestUtil.AssertClose(ye, y, 1e-6, 1e-6, "rope");
        Rope.Backward(y, back, cos, sin, rows, seq, width, headDim, rotaryDim);
        TestUtil.AssertClose(x, back, 1e-5, 1e-5, "rotation then inverse rotation");
        // Position 0 is the identity; row 1 (position 1) is not.
        Assert.Equal(x.AsSpan(0, width).ToArray(), y.AsSpan(0, width).ToArray());
        Assert.NotEqual(x[width], y[width]);
        // Rows of the second sequence restart at position 0.
        Assert.Equal(x.AsSpan(seq * width, width).ToArray(), y.AsSpan(seq * width, width).ToArray());
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(64, 32)] // partial rotary
    [InlineData(6, 6)]   // head smaller than a vector
    public void StridedRopeRotatesTheLeadingColumnsOnly(int headDim, int rotaryDim)
    {
        // The q and k of a fused [rows, 3C] qkv: width 2C rotated at row stride 3C, the v columns untouched; SIMD against
        // the scalar twin, the same values as the contiguous kernel, in place too, and the backward inverts the forward.
        int seq = 5, batch = 2, heads = 2, c = heads * headDim, width = 2 * c, ld = 3 * c, rows = batch * seq;
        var table = new RopeTable(headDim, 10000, null, rotaryDim / (double)headDim);
        var (cos, sin) = table.Get(seq);
        var x = TestUtil.RandomArray(new Random(6), rows * ld);
        var y = TestUtil.RandomArray(new Random(7), rows * ld);
        var ye = (float[])y.Clone();
        var untouched = (float[])y.Clone();
        Rope.Forward(x, y, cos, sin, rows, seq, width, ld, headDim, rotaryDim);
        Rope.ForwardReference(x, ye, cos, sin, rows, seq, width, headDim, rotaryDim, ld: ld);
        TestUtil.AssertClose(ye, y, 1e-6, 1e-6, "strided rope");
        var contiguousX = new float[rows * width];
        var contiguousY = new float[rows * width];
        for (int r = 0; r < rows; r++) x.AsSpan(r * ld, width).CopyTo(contiguousX.AsSpan(r * width));
        Rope.Forward(contiguousX, contiguousY, cos, sin, rows, seq, width, headDim, rotaryDim);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(contiguousY.AsSpan(r * width, width).ToArray(), y.AsSpan(r * ld, width).ToArray());
            Assert.Equal(untouched.AsSpan(r * ld + width, c).ToArray(), y.AsSpan(r * ld + width, c).ToArray());
        }
        var inPlace = (float[])x.Clone();
        Rope.Forward(inPlace, inPlace, cos, sin, rows, seq, width, ld, headDim, rotaryDim);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(y.AsSpan(r * ld, width).ToArray(), inPlace.AsSpan(r * ld, width).ToArray());
            Assert.Equal(x.AsSpan(r * ld + width, c).ToArray(), inPlace.AsSpan(r * ld + width, c).ToArray());
        }
        Rope.Backward(inPlace, inPlace, cos, sin, rows, seq, width, ld, headDim, rotaryDim);
        TestUtil.AssertClose(x, inPlace, 1e-5, 1e-5, "strided rotation then inverse rotation");
        Assert.Throws<ArgumentException>(() => Rope.Forward(x, y, cos, sin, rows, seq, width, width - 1, headDim, rotaryDim));
    }

    [Fact]
    public void RopeTablesFollowTransformersFormulas()
    {
        // inv_freq = 1 / θ^(2i/R); linear divides by the factor; llama3 keeps high frequencies, divides low ones and
        // interpolates between (values computed by hand from modeling_rope_utils.py's formulas in double precision).
        var plain = RopeTable.Compute(16, 10000, RopeScaling.None);
        for (int i = 0; i < 8; i++) Assert.Equal(1.0 / Math.Pow(10000, 2.0 * i / 16), plain[i], 1e-6 * plain[i]);
        var linear = RopeTable.Compute(16, 10000, new RopeScaling(RopeScalingType.Linear, 4f));
        for (int i = 0; i < 8; i++) Assert.Equal(plain[i] / 4, linear[i], 1e-6 * plain[i]);
        var l3 = RopeTable.Compute(16, 10000, new RopeScaling(RopeScalingType.Llama3, 8f, 1f, 4f, 64));
        for (int i = 0; i < 8; i++)
        {
            double wavelen = 2 * Math.PI / plain[i], expect;
            if (wavelen < 64 / 4.0) expect = plain[i];
            else if (wavelen > 64 / 1.0) expect = plain[i] / 8;
            else
            {
                double smooth = (64 / wavelen - 1) / (4 - 1);
                expect = (1 - smooth) * plain[i] / 8 + smooth * plain[i];
            }
            Assert.Equal(expect, l3[i], 1e-5 * plain[i]);
        }
        Assert.Equal(plain[0], l3[0]);            // high frequency kept
        Assert.Equal(plain[7] / 8, l3[7], 1e-9);  // low frequency divided
        Assert.True(l3[2] > plain[2] / 8 && l3[2] < plain[2]); // interpolated
    }

    [Theory]
    [InlineData(GateFunction.Silu)]
    [InlineData(GateFunction.GeluTanh)]
    [InlineData(GateFunction.Gelu)]
    public void GatedActivationMatchesReference(GateFunction f)
    {
        const int rows = 7, cols = 45;
        var rng = new Random(5);
        var gu = TestUtil.RandomArray(rng, rows * 2 * cols, 4f);
        var dy = TestUtil.RandomArray(rng, rows * cols);
        float[] y = new float[rows * cols], ye = new float[rows * cols];
        GatedActivation.Forward(gu, y, rows, cols, f);
        GatedActivation.ForwardReference(gu, ye, rows, cols, f);
        TestUtil.AssertClose(ye, y, 2e-6, 2e-6, $"{f} forward");
        float[] d = new float[gu.Length], de = new float[gu.Length];
        GatedActivation.Backward(gu, dy, d, rows, cols, f);
        GatedActivation.BackwardReference(gu, dy, de, rows, cols, f);
        TestUtil.AssertClose(de, d, 1e-5, 1e-5, $"{f} backward");
    }

    public static TheoryData<bool, int, float, int, bool> AttentionCases => new()
    {
        { true, 0, 0f, 2, true },    // causal GQA, padding
        { false, 0, 0f, 2, true },   // bidirectional GQA
        { true, 3, 0f, 4, false },   // causal sliding window, MHA
        { false, 3, 0f, 1, true },   // bidirectional window, MQA
        { true, 0, 1.5f, 2, true },  // soft-capping
        { true, 4, 2f, 2, false },   // all at once
    };

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void GroupedQueryAttentionMatchesReference(bool causal, int window, float softCap, int kvHeads, bool masked)
    {
        int batch = 2, seq = 7, heads = 4, d = 5;
        var l = AttentionLayout.Dense(batch, seq, heads, kvHeads, d);
        var sc = new AttentionScoring(0.4f, causal, window, softCap);
        var rng = new Random(6);
        var q = TestUtil.RandomArray(rng, batch * seq * heads * d, 2f);
        var k = TestUtil.RandomArray(rng, batch * seq * kvHeads * d, 2f);
        var v = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        var dO = TestUtil.RandomArray(rng, q.Length);
        var mask = new float[batch * seq];
        if (masked) { mask[0] = float.MinValue; mask[seq + 5] = mask[seq + 6] = float.MinValue; } // left and right padding
        float[] o = new float[q.Length], oe = new float[q.Length], p = new float[l.ProbsLength], pe = new float[l.ProbsLength];
        Attention.Forward(q, k, v, mask, o, p, l, sc);
        Attention.ForwardReference(q, k, v, mask, oe, pe, l, sc);
        TestUtil.AssertCloseScaled(oe, o, 1e-5, "attention output");
        TestUtil.AssertClose(pe, p, 0, 2e-6, "attention probabilities");
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < seq; t++)
        for (int s = 0; s < seq; s++)
        {
            if (!sc.Allows(t, s)) Assert.Equal(0f, p[((b * heads + h) * seq + t) * seq + s]);
        }
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        float[] dqe = new float[q.Length], dke = new float[k.Length], dve = new float[v.Length];
        Attention.Backward(dO, q, k, v, p, dq, dk, dv, l, sc);
        Attention.BackwardReference(dO, q, k, v, pe, dqe, dke, dve, l, sc);
        TestUtil.AssertCloseScaled(dqe, dq, 1e-5, "dq");
        TestUtil.AssertCloseScaled(dke, dk, 1e-5, "dk");
        TestUtil.AssertCloseScaled(dve, dv, 1e-5, "dv");
    }

    [Theory]
    [InlineData(true, 0f)]
    [InlineData(false, 1.5f)]
    public void AttentionDropoutMatchesReference(bool causal, float softCap)
    {
        // Training-mode attention (transformers' attention_dropout): out = dropout(P)·V with the engine's seeded mask.
        int batch = 2, seq = 6, heads = 4, kvHeads = 2, d = 3;
        const float p = 0.3f;
        const ulong seed = 0xC0FFEE;
        var l = AttentionLayout.Dense(batch, seq, heads, kvHeads, d);
        var sc = new AttentionScoring(0.4f, causal, 0, softCap);
        var rng = new Random(11);
        var q = TestUtil.RandomArray(rng, batch * seq * heads * d, 2f);
        var k = TestUtil.RandomArray(rng, batch * seq * kvHeads * d, 2f);
        var v = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        var dO = TestUtil.RandomArray(rng, q.Length);
        var mask = new float[batch * seq];
        mask[seq + 5] = float.MinValue;
        float[] o = new float[q.Length], oe = new float[q.Length], plain = new float[q.Length];
        float[] probs = new float[l.ProbsLength], pe = new float[l.ProbsLength], p0 = new float[l.ProbsLength];
        Attention.Forward(q, k, v, mask, o, probs, l, sc, p, seed);
        Attention.ForwardReference(q, k, v, mask, oe, pe, l, sc, p, seed);
        Attention.Forward(q, k, v, mask, plain, p0, l, sc);
        TestUtil.AssertCloseScaled(oe, o, 1e-5, "output with dropout");
        Assert.Equal(p0, probs); // the saved probabilities stay the undropped softmax
        Assert.True(o.Zip(plain).Max(x => Math.Abs(x.First - x.Second)) > 1e-2f, "dropout changed nothing");
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        float[] dqe = new float[q.Length], dke = new float[k.Length], dve = new float[v.Length];
        Attention.Backward(dO, q, k, v, probs, dq, dk, dv, l, sc, p, seed);
        Attention.BackwardReference(dO, q, k, v, pe, dqe, dke, dve, l, sc, p, seed);
        TestUtil.AssertCloseScaled(dqe, dq, 1e-5, "dq");
        TestUtil.AssertCloseScaled(dke, dk, 1e-5, "dk");
        TestUtil.AssertCloseScaled(dve, dv, 1e-5, "dv");
    }

    [Fact]
    public void GroupedQueryAttentionEqualsMultiHeadWithRepeatedKeys()
    {
        // repeat_kv: GQA with Hkv heads equals MHA on keys/values whose head h is key head h / (H / Hkv).
        int batch = 2, seq = 5, heads = 4, kvHeads = 2, d = 3;
        var rng = new Random(7);
        var q = TestUtil.RandomArray(rng, batch * seq * heads * d);
        var k = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        var v = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        float[] kr = new float[q.Length], vr = new float[q.Length];
        for (int r = 0; r < batch * seq; r++)
        for (int h = 0; h < heads; h++)
        {
            Array.Copy(k, r * kvHeads * d + h / 2 * d, kr, r * heads * d + h * d, d);
            Array.Copy(v, r * kvHeads * d + h / 2 * d, vr, r * heads * d + h * d, d);
        }
        var sc = new AttentionScoring(0.5f, Causal: true);
        float[] a = new float[q.Length], b = new float[q.Length], p = new float[batch * heads * seq * seq];
        Attention.Forward(q, k, v, default, a, p, AttentionLayout.Dense(batch, seq, heads, kvHeads, d), sc);
        Attention.Forward(q, kr, vr, default, b, p, AttentionLayout.Dense(batch, seq, heads, heads, d), sc);
        Assert.Equal(b, a);
    }
}
