using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

public static unsafe partial class CachedAttention
{
    /// <summary>Whether <see cref="Forward"/> runs several new tokens a row through <see cref="ForwardTiled"/>.</summary>
    internal static bool UsesTiled => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// <see cref="Forward"/> as matrix products, for many new tokens a row (a later chunk of a chunked prefill: a
    /// [Tn, Length] causal product against the cached keys rather than one dot product per query and key): per
    /// (row, query head) — one work item, in parallel — the cached keys of its key/value head are transposed once into a
    /// per-thread [D, Length] buffer and its values copied side by side (kept while the next heads of the range share
    /// them), then the queries in tiles of <see cref="AttentionTile.Rows"/>: S = scale·Q·Kᵀ over the columns the tile may
    /// attend to, each row soft-capped and given the softmax of its own columns + keyBias, then out = P·V; the same
    /// tiles and softmax as the whole prompt's first pass (<see cref="Attention"/>'s direct kernel), with new token j
    /// at cache column Length − Tn + j. <paramref name="vectorized"/> = false runs the tiles' scalar twins (tests).
    /// </summary>
    internal static void ForwardTiled(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        ReadOnlySpan<float> keyBias, Span<float> output, KvCacheLayout l, AttentionScoring sc, bool vectorized)
    {
        Check(q.Length, keys.Length, values.Length, keyBias.Length, output.Length, l, sc);
        if (l.Batch == 0 || l.NewTokens == 0) return;
        fixed (float* pq = q, pk = keys, pv = values, pb = keyBias, po = output)
        {
            Parallelism.For(l.Batch * l.Heads, 1, new Args((nint)pq, (nint)pk, (nint)pv, (nint)pb, (nint)po, l, sc, vectorized),
                static (in Args a, int w0, int w1) => TiledRange(a.Q, a.K, a.V, a.Bias, a.Output, a.Layout, a.Scoring, a.Vectorized, w0, w1));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TiledRange(nint iq, nint ik, nint iv, nint ib, nint io, KvCacheLayout l, AttentionScoring sc,
        bool vectorized, int w0, int w1)
    {
        const int rowsPer = AttentionTile.Rows;
        int d = l.HeadDim, len = l.Length, width = l.Heads * d;
        int kts = ((len + 15) & ~15) + 16; // Kᵀ row stride: a tile may start at any column and run to a whole vector
        int ss = kts;                     // score row stride
        int dp = (d + 15) & ~15;
        int ktLen = d * kts, sLen = rowsPer * ss, qLen = rowsPer * d, oLen = rowsPer * dp, vLen = len * dp;
        float[] scratch = ArrayPool<float>.Shared.Rent(ktLen + sLen + qLen + oLen + vLen + 16);
        new Span<float>(scratch).Clear(); // Kᵀ's padding columns stay 0 (finite scores that no row reads)
        fixed (float* raw = scratch)
        {
            float* buf = (float*)(((nint)raw + 63) & ~(nint)63);
            float* kt = buf, s = buf + ktLen, qt = s + sLen, ot = qt + qLen, vc = ot + oLen;
            int* lo = stackalloc int[rowsPer], hi = stackalloc int[rowsPer]; // the tile's queries' key ranges
            int cached = -1;
            for (int w = w0; w < w1; w++)
            {
                int b = w / l.Heads, h = w % l.Heads, kvh = h / l.Group;
                float* qh = (float*)iq + (long)b * l.NewTokens * width + (long)h * d;
                float* oh = (float*)io + (long)b * l.NewTokens * width + (long)h * d;
                float* bias = (float*)ib + (long)b * l.Capacity;
                if (cached != b * l.KvHeads + kvh)
                {
                    cached = b * l.KvHeads + kvh;
                    long at = l.Offset(b, kvh, 0);
                    AttentionTile.Transpose((float*)ik + at, d, len, d, kt, kts, vectorized);
                    float* vh = (float*)iv + at;
                    for (int t = 0; t < len; t++)
                        new ReadOnlySpan<float>(vh + (long)t * d, d).CopyTo(new Span<float>(vc + (long)t * dp, d));
                }
                for (int t0 = 0; t0 < l.NewTokens; t0 += rowsPer)
                {
                    int m = Math.Min(rowsPer, l.NewTokens - t0);
                    for (int r = 0; r < m; r++) (lo[r], hi[r]) = l.KeyRange(t0 + r, sc);
                    AttentionTile.Queries(qh + (long)t0 * width, width, m, d, lo, hi, bias, kt, kts, vc, dp, s, ss, qt, ot,
                        oh + (long)t0 * width, width, sc.Scale, sc.SoftCap, vectorized);
                }
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }
}
