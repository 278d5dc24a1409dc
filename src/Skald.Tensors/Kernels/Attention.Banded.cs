using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Skald.Tensors.Kernels;

public static unsafe partial class Attention
{
    private const int BlockRows = 32;

    /// <summary>Score elements of one block without a window (16 K floats, 64 KB: stays in L2).</summary>
    private const int DenseBlockElements = 16384;

    /// <summary>
    /// Attention by blocks of query rows, for windowed attention with banded probabilities
    /// (<see cref="AttentionLayout.Band"/>) and for any attention whose caller keeps no probabilities (ip = 0, no backward):
    /// per (batch, head), query rows in blocks of <see cref="BlockRows"/> (without a window, as many as
    /// <see cref="DenseBlockElements"/> allows); a block's scores are computed only against
    /// the keys its rows may attend to (with a window one GEMM [rows, band + rows − 1]), each row's softmax only over
    /// its own keys, its band stored when kept, and the block's output is one GEMM against those keys' values. With a
    /// window, compute and memory are linear in T; without one, memory is [rows, T] per thread instead of [T, T] per
    /// (batch, head). The dropout mask of (t, s) is the dense layout's (index ((b·H + h)·T + t)·T + s), so dropout
    /// draws what the dense path draws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBanded(nint iq, nint ik, nint iv, nint imask, bool hasMask, nint iout, nint ip,
        AttentionLayout l, AttentionScoring sc, float dropout, ulong seed)
    {
        int seq = l.Seq, rows = Math.Min(BlockRows, seq);
        // Without a window every block spans all T keys: take as many rows as fit DenseBlockElements (T = 128: one
        // block), so K and V are packed once per (batch, head) rather than once per 32 rows.
        if (sc.BandWidth == 0) rows = Math.Min(seq, Math.Max(BlockRows, DenseBlockElements / Math.Max(1, seq)));
        int maxCols = sc.BandWidth > 0 ? Math.Min(seq, sc.BandWidth + rows - 1) : seq;
        var region = new Region(iq, ik, iv, imask, hasMask, iout, ip, l, sc, dropout, seed, rows, maxCols);
        Parallelism.For(l.Batch * l.Heads, 1, region, static (in Region a, int w0, int w1) => BandedRange(a, w0, w1));
    }

    // Work items [w0, w1) of ForwardBanded: (batch, head) pairs, query rows by blocks of a.Rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BandedRange(in Region a, int w0, int w1)
    {
        var l = a.Layout;
        var sc = a.Scoring;
        int seq = l.Seq, band = l.Band, left = sc.Window - 1, rows = a.Rows, maxCols = a.MaxCols;
        nint iq = a.Q, ik = a.K, iv = a.V, imask = a.Mask, iout = a.Output, ip = a.Probs;
        bool hasMask = a.HasMask, keep = ip != 0;
        float dropout = a.Dropout;
        ulong seed = a.Seed;
        float[] scratch = ArrayPool<float>.Shared.Rent(rows * maxCols);
        fixed (float* s = scratch)
        {
            for (int w = w0; w < w1; w++)
            {
                int b = w / l.Heads, h = w % l.Heads;
                float* qh = (float*)iq + QOffset(l, b, h), oh = (float*)iout + OutOffset(l, b, h);
                float* kh = (float*)ik + KvOffset(l, b, h / l.Group), vh = (float*)iv + KvOffset(l, b, h / l.Group);
                float* pb = (float*)ip + (long)w * seq * band;
                long dense = (long)w * seq * seq;
                for (int t0 = 0; t0 < seq; t0 += rows)
                {
                    int t1 = Math.Min(seq, t0 + rows), m = t1 - t0;
                    int s0 = sc.KeyRange(t0, seq).Lo, s1 = sc.KeyRange(t1 - 1, seq).Hi, n = s1 - s0;
                    // S[m, n] = scale · Q[t0:t1] · K[s0:s1]ᵀ
                    Mm(false, true, m, n, l.HeadDim, sc.Scale, qh + (long)t0 * l.LdQ, l.LdQ, kh + (long)s0 * l.LdKv,
                        l.LdKv, s, n, 0f);
                    for (int t = t0; t < t1; t++)
                    {
                        var (lo, hi) = sc.KeyRange(t, seq);
                        float* row = s + (long)(t - t0) * n, seg = row + (lo - s0);
                        int len = hi - lo;
                        var mask = hasMask ? new ReadOnlySpan<float>((float*)imask + (long)b * seq + lo, len) : default;
                        ScoreSegment(seg, mask, len, sc);
                        if (keep)
                        {
                            var pr = new Span<float>(pb + (long)t * band, band);
                            pr.Clear();
                            new ReadOnlySpan<float>(seg, len).CopyTo(pr[(lo - (t - left))..]);
                        }
                        new Span<float>(row, lo - s0).Clear();
                        new Span<float>(row + (hi - s0), s1 - hi).Clear();
                        if (dropout > 0f)
                            Dropout.ApplySlice(new ReadOnlySpan<float>(seg, len), new Span<float>(seg, len), dropout, seed,
                                dense + (long)t * seq + lo);
                    }
                    // out[t0:t1] = dropout(P)[m, n] · V[s0:s1]
                    Mm(false, false, m, l.HeadDim, n, 1f, s, n, vh + (long)s0 * l.LdKv, l.LdKv, oh + (long)t0 * l.LdOut,
                        l.LdOut, 0f);
                }
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }

    /// <summary>
    /// Backward of <see cref="ForwardBanded"/> from the band, block by block as the forward: per (batch, key/value head)
    /// and query head sharing it, dV[s0:s1] += (P ⊙ M)ᵀ·dO, dS = (dO·Vᵀ) ⊙ M over the block's keys, the softmax backward
    /// over each row's window only, soft-cap recomputed, dQ = scale·dS·K, dK[s0:s1] += scale·dSᵀ·Q.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardBanded(nint ido, nint iq, nint ik, nint iv, nint ip, nint idq, nint idk, nint idv,
        AttentionLayout l, AttentionScoring sc, float dropout, ulong seed)
    {
        int seq = l.Seq, band = l.Band, left = sc.Window - 1, rows = Math.Min(BlockRows, seq), d = l.HeadDim;
        int maxCols = Math.Min(seq, band + rows - 1), block = rows * maxCols;
        Parallelism.For(l.Batch * l.KvHeads, 1, (w0, w1) =>
        {
            float[] scratch = ArrayPool<float>.Shared.Rent(3 * block);
            fixed (float* pa = scratch)
            {
                float* ds = pa + block, z = pa + 2 * block;
                for (int w = w0; w < w1; w++)
                {
                    int b = w / l.KvHeads, kvh = w % l.KvHeads;
                    long kvOff = KvOffset(l, b, kvh);
                    float* kh = (float*)ik + kvOff, vh = (float*)iv + kvOff, dkh = (float*)idk + kvOff, dvh = (float*)idv + kvOff;
                    for (int s = 0; s < seq; s++)
                    {
                        new Span<float>(dkh + (long)s * l.LdKv, d).Clear();
                        new Span<float>(dvh + (long)s * l.LdKv, d).Clear();
                    }
                    for (int r = 0; r < l.Group; r++)
                    {
                        int h = kvh * l.Group + r;
                        float* qh = (float*)iq + QOffset(l, b, h), dqh = (float*)idq + QOffset(l, b, h);
                        float* dOh = (float*)ido + OutOffset(l, b, h);
                        float* pb = (float*)ip + ((long)b * l.Heads + h) * seq * band;
                        long dense = ((long)b * l.Heads + h) * seq * seq;
                        for (int t0 = 0; t0 < seq; t0 += rows)
                        {
                            int t1 = Math.Min(seq, t0 + rows), m = t1 - t0;
                            int s0 = sc.KeyRange(t0, seq).Lo, s1 = sc.KeyRange(t1 - 1, seq).Hi, n = s1 - s0;
                            // A[m, n] = P ⊙ M of the block (0 outside each row's window)
                            for (int t = t0; t < t1; t++)
                            {
                                var (lo, hi) = sc.KeyRange(t, seq);
                                var row = new Span<float>(pa + (long)(t - t0) * n, n);
                                row.Clear();
                                var seg = row.Slice(lo - s0, hi - lo);
                                new ReadOnlySpan<float>(pb + (long)t * band + (lo - (t - left)), hi - lo).CopyTo(seg);
                                if (dropout > 0f) Dropout.ApplySlice(seg, seg, dropout, seed, dense + (long)t * seq + lo);
                            }
                            float* k0 = kh + (long)s0 * l.LdKv, q0 = qh + (long)t0 * l.LdQ, dO0 = dOh + (long)t0 * l.LdOut;
                            Mm(true, false, n, d, m, 1f, pa, n, dO0, l.LdOut, dvh + (long)s0 * l.LdKv, l.LdKv, 1f);
                            Mm(false, true, m, n, d, 1f, dO0, l.LdOut, vh + (long)s0 * l.LdKv, l.LdKv, ds, n, 0f);
                            for (int t = t0; t < t1; t++)
                            {
                                var (lo, hi) = sc.KeyRange(t, seq);
                                var row = new Span<float>(ds + (long)(t - t0) * n, n);
                                var seg = row.Slice(lo - s0, hi - lo);
                                if (dropout > 0f) Dropout.ApplySlice(seg, seg, dropout, seed, dense + (long)t * seq + lo);
                                Softmax.BackwardRow(new ReadOnlySpan<float>(pb + (long)t * band + (lo - (t - left)), hi - lo), seg, seg);
                                row[..(lo - s0)].Clear();
                                row[(hi - s0)..].Clear();
                            }
                            if (sc.SoftCap > 0f)
                            {
                                // dZ ⊙= 1 − tanh²(scale·q·k / c) over the block
                                Mm(false, true, m, n, d, sc.Scale / sc.SoftCap, q0, l.LdQ, k0, l.LdKv, z, n, 0f);
                                var zs = new Span<float>(z, m * n);
                                TensorPrimitives.Tanh(zs, zs);
                                TensorPrimitives.Multiply(zs, zs, zs);
                                TensorPrimitives.Subtract(1f, zs, zs);
                                var dss = new Span<float>(ds, m * n);
                                TensorPrimitives.Multiply(dss, zs, dss);
                            }
                            Mm(false, false, m, d, n, sc.Scale, ds, n, k0, l.LdKv, dqh + (long)t0 * l.LdQ, l.LdQ, 0f);
                            Mm(true, false, n, d, m, sc.Scale, ds, n, q0, l.LdQ, dkh + (long)s0 * l.LdKv, l.LdKv, 1f);
                        }
                    }
                }
            }
            ArrayPool<float>.Shared.Return(scratch);
        });
    }

    /// <summary>One window of scores in place: soft-cap, + mask, softmax over the window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreSegment(float* seg, ReadOnlySpan<float> mask, int len, AttentionScoring sc)
    {
        var rs = new Span<float>(seg, len);
        if (sc.SoftCap > 0f)
        {
            TensorPrimitives.Divide(rs, sc.SoftCap, rs);
            TensorPrimitives.Tanh(rs, rs);
            TensorPrimitives.Multiply(rs, sc.SoftCap, rs);
        }
        if (!mask.IsEmpty) TensorPrimitives.Add(rs, mask, rs);
        Softmax.ForwardRow(seg, seg, len);
    }

    /// <summary>Where probability (t, s) lives in a query row of <paramref name="l"/>'s layout; −1 outside the band.</summary>
    private static int Column(AttentionLayout l, AttentionScoring sc, int t, int s)
    {
        if (l.Band == 0) return s;
        int j = s - (t - (sc.Window - 1));
        return j >= 0 && j < l.Band ? j : -1;
    }

    private static void CheckBand(AttentionLayout l, AttentionScoring sc)
    {
        if (l.Band != 0 && (sc.Window <= 0 || l.Band != sc.BandWidth))
            throw new ArgumentException($"a banded layout needs Band = the window's band width ({sc.BandWidth}), got {l.Band}");
    }
}
