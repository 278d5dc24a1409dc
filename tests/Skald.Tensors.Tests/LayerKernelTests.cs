using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

public sealed class LayerKernelTests
{
    [Fact]
    public void LinearForwardMatchesReference()
    {
        const int n = 13, inF = 37, outF = 29;
        var rng = new Random(21);
        var x = TestUtil.RandomArray(rng, n * inF);
        var w = TestUtil.RandomArray(rng, outF * inF);
        var b = TestUtil.RandomArray(rng, outF);
        var y = new float[n * outF];
        Linear.Forward(x, w, b, y, n, inF, outF);
        var e = new float[n * outF];
        for (int i = 0; i < n; i++) b.CopyTo(e, i * outF);
        new ReferenceGemm().Sgemm(false, true, n, outF, inF, 1f, x, inF, w, inF, 1f, e, outF);
        TestUtil.AssertCloseScaled(e, y, 1e-5, "linear");
    }

    [Fact]
    public void LinearBackwardMatchesFiniteDifferencesAndAccumulates()
    {
        const int n = 5, inF = 7, outF = 6;
        var rng = new Random(22);
        var x = TestUtil.RandomArray(rng, n * inF);
        var w = TestUtil.RandomArray(rng, outF * inF);
        var b = TestUtil.RandomArray(rng, outF);
        var g = TestUtil.RandomArray(rng, n * outF);
        var dx = new float[x.Length];
        var dw = Enumerable.Repeat(1f, w.Length).ToArray();
        var db = Enumerable.Repeat(2f, b.Length).ToArray();
        Linear.Backward(x, w, g, dx, dw, db, n, inF, outF);

        double Loss(float[] xs, float[] ws, float[] bs)
        {
            var y = new float[n * outF];
            Linear.Forward(xs, ws, bs, y, n, inF, outF);
            return GradCheck.Dot(g, y);
        }

        GradCheck.Check("linear dx", x, p => Loss(p, w, b), dx);
        GradCheck.Check("linear dW", w, p => Loss(x, p, b), dw.Select(v => v - 1f).ToArray());
        GradCheck.Check("linear db", b, p => Loss(x, w, p), db.Select(v => v - 2f).ToArray());
        // Empty dx / dbias are skipped.
        Linear.Backward(x, w, g, Span<float>.Empty, new float[w.Length], Span<float>.Empty, n, inF, outF);
    }

    public static TheoryData<int, int, int, int, int, bool> AttentionShapes => new()
    {
        { 1, 1, 1, 1, 0, false },
        { 2, 7, 3, 5, 0, true },
        { 2, 33, 2, 8, 17, true },
        { 3, 128, 4, 32, 64, true },
        { 1, 20, 12, 64, 2 * 768, false },
    };

    [Theory]
    [MemberData(nameof(AttentionShapes))]
    public void AttentionForwardMatchesReference(int batch, int seq, int heads, int headDim, int extraLd, bool masked)
    {
        int c = heads * headDim, ld = c + extraLd;
        var rng = new Random(batch * 100 + seq);
        var q = TestUtil.RandomArray(rng, batch * seq * ld, 2f);
        var k = TestUtil.RandomArray(rng, batch * seq * ld, 2f);
        var v = TestUtil.RandomArray(rng, batch * seq * ld);
        var mask = masked ? MakeMask(rng, batch, seq) : [];
        float[] oe = new float[batch * seq * c], oa = new float[oe.Length];
        float[] pe = new float[batch * heads * seq * seq], pa = new float[pe.Length];
        float scale = 1f / MathF.Sqrt(headDim);
        Attention.ForwardReference(q, k, v, ld, mask, oe, pe, batch, seq, heads, headDim, scale);
        Attention.Forward(q, k, v, ld, mask, oa, pa, batch, seq, heads, headDim, scale);
        TestUtil.AssertClose(pe, pa, 1e-4, 1e-6, "probs");
        TestUtil.AssertClose(oe, oa, 1e-4, 1e-5, "output");
    }

    [Fact]
    public void AttentionOnFusedQkvBufferMatchesSeparateBuffers()
    {
        const int batch = 2, seq = 9, heads = 3, headDim = 4, c = heads * headDim;
        var rng = new Random(31);
        var qkv = TestUtil.RandomArray(rng, batch * seq * 3 * c);
        var mask = MakeMask(rng, batch, seq);
        float[] q = new float[batch * seq * c], k = new float[q.Length], v = new float[q.Length];
        for (int r = 0; r < batch * seq; r++)
        {
            qkv.AsSpan(r * 3 * c, c).CopyTo(q.AsSpan(r * c));
            qkv.AsSpan(r * 3 * c + c, c).CopyTo(k.AsSpan(r * c));
            qkv.AsSpan(r * 3 * c + 2 * c, c).CopyTo(v.AsSpan(r * c));
        }
        float[] o1 = new float[q.Length], o2 = new float[q.Length], p = new float[batch * heads * seq * seq];
        Attention.Forward(q, k, v, c, mask, o1, p, batch, seq, heads, headDim, 0.5f);
        Attention.Forward(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), 3 * c, mask, o2, p, batch, seq, heads, headDim, 0.5f);
        Assert.Equal(o1, o2);
    }

    [Fact]
    public void AttentionBackwardMatchesFiniteDifferences()
    {
        const int batch = 2, seq = 5, heads = 2, headDim = 3, c = heads * headDim, ld = c + 2;
        var rng = new Random(32);
        var q = TestUtil.RandomArray(rng, batch * seq * ld);
        var k = TestUtil.RandomArray(rng, batch * seq * ld);
        var v = TestUtil.RandomArray(rng, batch * seq * ld);
        var mask = new float[batch * seq];
        mask[seq - 1] = -10000f; // last key of the first sequence is padding
        var g = TestUtil.RandomArray(rng, batch * seq * c);
        float scale = 0.7f;
        var o = new float[batch * seq * c];
        var probs = new float[batch * heads * seq * seq];
        Attention.Forward(q, k, v, ld, mask, o, probs, batch, seq, heads, headDim, scale);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        Attention.Backward(g, q, k, v, ld, probs, dq, dk, dv, batch, seq, heads, headDim, scale);

        double Loss(float[] qs, float[] ks, float[] vs)
        {
            var oo = new float[o.Length];
            Attention.Forward(qs, ks, vs, ld, mask, oo, new float[probs.Length], batch, seq, heads, headDim, scale);
            return GradCheck.Dot(g, oo);
        }

        GradCheck.Check("attention dq", q, p => Loss(p, k, v), dq, maxChecks: 80);
        GradCheck.Check("attention dk", k, p => Loss(q, p, v), dk, maxChecks: 80);
        GradCheck.Check("attention dv", v, p => Loss(q, k, p), dv, maxChecks: 80);
    }

    [Fact]
    public void EmbeddingLooksUpAndScatterAdds()
    {
        const int vocab = 6, dim = 5;
        var table = TestUtil.RandomArray(new Random(41), vocab * dim);
        int[] ids = [3, 0, 3, 5];
        var output = new float[ids.Length * dim];
        Embedding.Forward(ids, table, output, ids.Length, dim);
        for (int i = 0; i < ids.Length; i++)
            Assert.Equal(table.AsSpan(ids[i] * dim, dim).ToArray(), output.AsSpan(i * dim, dim).ToArray());

        var dy = TestUtil.RandomArray(new Random(42), ids.Length * dim);
        var dtable = Enumerable.Repeat(1f, vocab * dim).ToArray();
        Embedding.Backward(ids, dy, dtable, ids.Length, dim);
        for (int j = 0; j < dim; j++)
        {
            Assert.Equal(1f + dy[1 * dim + j], dtable[0 * dim + j], 6);
            Assert.Equal(1f + dy[0 * dim + j] + dy[2 * dim + j], dtable[3 * dim + j], 6);
            Assert.Equal(1f, dtable[1 * dim + j]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward([vocab], table, new float[dim], 1, dim));
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward([-1], table, new float[dim], 1, dim));
    }

    [Fact]
    public void DropoutIsReproducibleScaledAndItsMaskIsAFunctionOfTheSeed()
    {
        const int n = 300_000; // above the parallel threshold, so the threaded path runs
        const float p = 0.1f;
        var x = TestUtil.RandomArray(new Random(51), n);
        float[] y1 = new float[n], y2 = new float[n];
        Dropout.Apply(x, y1, p, seed: 7);
        Dropout.Apply(x, y2, p, seed: 7);
        Assert.Equal(y1, y2);
        int dropped = y1.Count(v => v == 0f);
        Assert.InRange(dropped, (int)(n * p * 0.95), (int)(n * p * 1.05));
        // Each element is x·0 or x/(1 − p), and the multiplier can be regenerated from (seed, index) alone.
        for (int i = 0; i < n; i += 7) Assert.Equal(x[i] * Dropout.Multiplier(p, 7, i), y1[i]);
        var other = new float[n];
        Dropout.Apply(x, other, p, seed: 8);
        Assert.NotEqual(y1, other);

        var y3 = new float[n];
        Dropout.Apply(x, y3, 0f, seed: 1);
        Assert.Equal(x, y3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Apply(x, y3, 1f, seed: 1));
    }

    [Fact]
    public unsafe void DropoutVectorPathGivesTheScalarTwinsBits()
    {
        var x = TestUtil.RandomArray(new Random(52), 1000);
        x[3] = float.PositiveInfinity;
        x[17] = -0f;
        foreach (float p in new[] { 0.1f, 0.5f, 0.9f, 1e-7f })
        {
            uint threshold = (uint)Math.Ceiling(p * 16777216.0);
            float scale = 1f / (1f - p);
            foreach (long first in new long[] { 0, 1, 5, 123_456_789_012 })
            {
                foreach (int n in new[] { 0, 1, 7, 8, 9, 15, 16, 17, 31, 1000 })
                {
                    float[] fast = new float[n], slow = new float[n];
                    fixed (float* px = x, pf = fast, ps = slow)
                    {
                        Dropout.ApplyRange(px, pf, first, n, 0xDEADBEEF12345UL, threshold, scale);
                        Dropout.ApplyRangeScalar(px, ps, first, n, 0xDEADBEEF12345UL, threshold, scale);
                    }
                    Assert.Equal(slow.Select(BitConverter.SingleToInt32Bits), fast.Select(BitConverter.SingleToInt32Bits));
                }
            }
        }
    }

    /// <summary>
    /// A mask drawn once (<see cref="Dropout.MaskSlice"/>, attention's backward) and applied to a buffer
    /// (<see cref="Dropout.ApplyMask"/>) gives the bits <see cref="Dropout.ApplySlice"/> gives it: lanes and tails, any
    /// first index, ∞, −0 and NaN included.
    /// </summary>
    [Fact]
    public void DropoutMaskDrawnOnceGivesTheSliceBits()
    {
        var x = TestUtil.RandomArray(new Random(53), 1000);
        x[3] = float.PositiveInfinity;
        x[17] = -0f;
        x[40] = float.NaN;
        foreach (float p in new[] { 0.1f, 0.5f, 0.9f, 1e-7f })
        {
            foreach (long first in new long[] { 0, 1, 5, 123_456_789_012 })
            {
                foreach (int n in new[] { 1, 7, 8, 9, 15, 16, 17, 1000 })
                {
                    float[] expected = new float[n], mask = new float[n], actual = new float[n];
                    Dropout.ApplySlice(x.AsSpan(0, n), expected, p, 0xDEADBEEF12345UL, first);
                    Dropout.MaskSlice(mask, p, 0xDEADBEEF12345UL, first);
                    Dropout.ApplyMask(x.AsSpan(0, n), actual, mask, p);
                    Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
                    Assert.All(mask, m => Assert.True(BitConverter.SingleToUInt32Bits(m) is 0u or uint.MaxValue));
                }
            }
        }
    }

    [Fact]
    public void SkaldRandomIsDeterministicAndInRange()
    {
        var a = new SkaldRandom(123);
        var b = new SkaldRandom(123);
        var c = new SkaldRandom(124);
        var sa = Enumerable.Range(0, 16).Select(_ => a.NextUInt32()).ToArray();
        Assert.Equal(sa, Enumerable.Range(0, 16).Select(_ => b.NextUInt32()).ToArray());
        Assert.NotEqual(sa, Enumerable.Range(0, 16).Select(_ => c.NextUInt32()).ToArray());
        double sum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            float f = a.NextFloat();
            Assert.InRange(f, 0f, 0.99999994f);
            Assert.InRange(a.Next(7), 0, 6);
            double d = a.NextDouble();
            Assert.True(d is >= 0 and < 1);
            sum += a.NextGaussian();
        }
        Assert.InRange(sum / 10_000, -0.05, 0.05);
    }

    private static float[] MakeMask(Random rng, int batch, int seq)
    {
        var mask = new float[batch * seq];
        for (int b = 0; b < batch; b++)
        {
            int valid = Math.Max(1, seq - rng.Next(Math.Max(1, seq / 2)));
            for (int s = valid; s < seq; s++) mask[b * seq + s] = -10000f;
        }
        return mask;
    }
}
