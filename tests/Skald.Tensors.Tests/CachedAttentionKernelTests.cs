using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// The KV-cache attention kernel (<see cref="CachedAttention"/>) against its scalar twin and against the full-sequence
/// attention kernel: attending from the last Tn tokens to a cache of all T keys equals the last Tn rows of causal
/// attention over the whole sequence, with left padding, grouped-query heads, windows and soft-capping; and
/// <see cref="Rope.ForwardAt(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, int)"/> against its twin and against the row-mod-T form.
/// </summary>
public sealed class CachedAttentionKernelTests
{
    [Theory]
    [InlineData(1, 0, 0f, 2)]
    [InlineData(3, 0, 0f, 1)]
    [InlineData(1, 3, 0f, 2)]
    [InlineData(2, 4, 1.5f, 4)]
    public void LastRowsOfFullAttention(int newTokens, int window, float softCap, int kvHeads)
    {
        int batch = 2, seq = 9, heads = 4, d = 8, capacity = 12;
        var rng = new Random(7);
        var q = TestUtil.RandomArray(rng, batch * seq * heads * d);
        var k = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        var v = TestUtil.RandomArray(rng, batch * seq * kvHeads * d);
        var mask = new float[batch * seq];
        mask[0] = mask[1] = float.MinValue; // row 0 left-padded by two
        var sc = new AttentionScoring(0.6f, true, window, softCap);
        var layout = AttentionLayout.Dense(batch, seq, heads, kvHeads, d);
        var full = new float[q.Length];
        Attention.ForwardReference(q, k, v, mask, full, new float[batch * heads * seq * seq], layout, sc);

        // The cache: [B, Hkv, capacity, D] holding all T keys; queries: the last Tn rows of each sequence.
        var cl = new KvCacheLayout(batch, newTokens, seq, capacity, heads, kvHeads, d);
        float[] kc = new float[batch * kvHeads * capacity * d], vc = new float[kc.Length], bias = new float[batch * capacity];
        var qn = new float[batch * newTokens * heads * d];
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < seq; s++)
            {
                bias[b * capacity + s] = mask[b * seq + s];
                for (int h = 0; h < kvHeads; h++)
                {
                    Array.Copy(k, ((b * seq + s) * kvHeads + h) * d, kc, cl.Offset(b, h, s), d);
                    Array.Copy(v, ((b * seq + s) * kvHeads + h) * d, vc, cl.Offset(b, h, s), d);
                }
            }
            Array.Copy(q, (b * seq + seq - newTokens) * heads * d, qn, b * newTokens * heads * d, newTokens * heads * d);
        }
        float[] y = new float[qn.Length], yr = new float[qn.Length];
        CachedAttention.Forward(qn, kc, vc, bias, y, cl, sc);
        CachedAttention.ForwardReference(qn, kc, vc, bias, yr, cl, sc);
        TestUtil.AssertClose(yr, y, 1e-5, 1e-6, "cached attention vs its twin");
        for (int b = 0; b < batch; b++)
        {
            var expected = full.AsSpan((b * seq + seq - newTokens) * heads * d, newTokens * heads * d);
            TestUtil.AssertClose(expected, yr.AsSpan(b * newTokens * heads * d, newTokens * heads * d), 1e-5, 1e-6,
                $"row {b}: cached vs full attention");
        }
    }

    [Theory]
    [InlineData(13, 4, 0, 0f, 2, 8)]    // a partial tile after a whole one; every column a query may see
    [InlineData(16, 21, 5, 0f, 1, 16)]  // whole tiles; a window narrower than the past columns; one key/value head
    [InlineData(9, 30, 0, 1.5f, 4, 20)] // soft cap; a head dim off the vector width (the tail products)
    [InlineData(40, 0, 7, 0f, 2, 32)]   // no past: the whole sequence's causal product, window across tiles
    public void TiledChunksMatchTheScalarTwinAgainstACacheWithPastColumns(int newTokens, int past, int window, float softCap,
        int kvHeads, int d)
    {
        // A later prefill chunk: Tn new queries at columns past..past+Tn−1 of a cache of past+Tn filled columns (of more
        // allocated), the first columns of row 1 masked as left padding; the matrix-product kernel against the
        // double-precision twin of the dot-product one.
        int batch = 2, heads = 4, length = past + newTokens, capacity = length + 5;
        var rng = new Random(11);
        var l = new KvCacheLayout(batch, newTokens, length, capacity, heads, kvHeads, d);
        var q = TestUtil.RandomArray(rng, batch * newTokens * heads * d);
        var keys = TestUtil.RandomArray(rng, batch * kvHeads * capacity * d);
        var values = TestUtil.RandomArray(rng, keys.Length);
        var bias = new float[batch * capacity];
        for (int s = 0; s < Math.Min(3, length - 1); s++) bias[capacity + s] = float.MinValue;
        var sc = new AttentionScoring(0.35f, true, window, softCap);
        float[] expected = new float[q.Length], tiled = new float[q.Length], twin = new float[q.Length];
        CachedAttention.ForwardReference(q, keys, values, bias, expected, l, sc);
        CachedAttention.ForwardTiled(q, keys, values, bias, twin, l, sc, vectorized: false);
        TestUtil.AssertClose(expected, twin, 1e-5, 1e-6, "tiled (scalar tiles) vs reference");
        if (CachedAttention.UsesTiled)
        {
            CachedAttention.ForwardTiled(q, keys, values, bias, tiled, l, sc, vectorized: true);
            TestUtil.AssertClose(expected, tiled, 1e-5, 1e-6, "tiled vs reference");
            var dispatched = new float[q.Length];
            CachedAttention.Forward(q, keys, values, bias, dispatched, l, sc);
            Assert.Equal(tiled, dispatched); // several new tokens a row take the tiled kernel
        }
    }

    [Fact]
    public void RopeAtPositionsMatchesTwinAndRowForm()
    {
        int headDim = 8, heads = 2, width = heads * headDim, seq = 5;
        var table = new RopeTable(headDim, 10000);
        var (cos, sin) = table.Get(seq);
        var x = TestUtil.RandomArray(new Random(3), 2 * seq * width);
        int[] positions = [.. Enumerable.Range(0, 2 * seq).Select(r => r % seq)];
        float[] rowForm = new float[x.Length], at = new float[x.Length], twin = new float[x.Length];
        Rope.Forward(x, rowForm, cos, sin, 2 * seq, seq, width, headDim, headDim);
        Rope.ForwardAt(x, at, cos, sin, positions, width, headDim, headDim);
        Rope.ForwardReference(x, twin, cos, sin, 2 * seq, 1, width, headDim, headDim, 1f, positions);
        Assert.Equal(rowForm, at);
        TestUtil.AssertClose(twin, at, 1e-6, 1e-6, "rope at positions vs twin");
        Assert.Throws<ArgumentException>(() => Rope.ForwardAt(x, at, cos, sin, [.. positions[..^1], 10_000], width, headDim, headDim));
    }

    [Fact]
    public void StridedRopeAtPositionsRotatesQAndKColumnsOnly()
    {
        // A fused qkv [N, 3C]: the q and k columns (width 2C, stride 3C) rotated in place, v untouched; against the twin
        // and against the strided row form on the same positions.
        int headDim = 8, heads = 2, c = heads * headDim, seq = 6, n = 2 * seq;
        var (cos, sin) = new RopeTable(headDim, 10000).Get(seq);
        var x = TestUtil.RandomArray(new Random(5), n * 3 * c);
        int[] positions = [.. Enumerable.Range(0, n).Select(r => r % seq)];
        var inPlace = (float[])x.Clone();
        Rope.ForwardAt(inPlace, inPlace, cos, sin, positions, 2 * c, 3 * c, headDim, headDim);
        var rowForm = new float[x.Length];
        x.CopyTo(rowForm, 0);
        Rope.Forward(x, rowForm, cos, sin, n, seq, 2 * c, 3 * c, headDim, headDim);
        var twin = (float[])x.Clone();
        Rope.ForwardReference(x, twin, cos, sin, n, 1, 2 * c, headDim, headDim, 1f, positions, 3 * c);
        Assert.Equal(rowForm, inPlace);
        TestUtil.AssertClose(twin, inPlace, 1e-6, 1e-6, "strided rope at positions vs twin");
        for (int r = 0; r < n; r++)
            Assert.True(x.AsSpan(r * 3 * c + 2 * c, c).SequenceEqual(inPlace.AsSpan(r * 3 * c + 2 * c, c)), $"row {r}: v changed");
    }
}
