using System.Runtime.CompilerServices;

namespace Skald.Tensors.Kernels;

internal static unsafe partial class AttentionTile
{
    /// <summary>
    /// One tile of m ≤ <see cref="Rows"/> queries of one head, the step <see cref="Attention"/>'s direct kernel and
    /// <see cref="CachedAttention"/>'s tiled one share: query r may attend to keys [lo[r], hi[r]), and the tile's
    /// columns are [s0, s1) = [lo[0], hi[m − 1]).
    /// <code>
    /// S[Rows, n] = scale · Q[m, D] · Kᵀ[D, s0:s1]       (a partial tile reads Q through qt, padded with zero rows)
    /// row r: S[r, lo:hi] soft-capped, softmax(S[r, lo:hi] + bias[lo:hi]); S[r, outside] = 0; rows ≥ m all 0
    /// out[m, D] = P[m, n] · V[s0:s1, D]                  (a partial tile or a head dim off the vector width via ot)
    /// </code>
    /// a: Q's first row (row stride lda); kt: Kᵀ [D, ·] with row stride kts, its padding columns 0; vc: V's rows side
    /// by side (row stride dp = D rounded up to 16); s: the score tile [Rows, ss]; qt [Rows, D] and ot [Rows, dp]:
    /// scratch; bias: per key column (null: none); dst: out's first row (row stride ldDst).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Queries(float* a, int lda, int m, int d, int* lo, int* hi, float* bias, float* kt, int kts,
        float* vc, int dp, float* s, int ss, float* qt, float* ot, float* dst, int ldDst, float scale, float softCap,
        bool vectorized)
    {
        int s0 = lo[0], s1 = hi[m - 1], n = s1 - s0;
        if (m < Rows)
        {
            new Span<float>(qt, Rows * d).Clear();
            for (int r = 0; r < m; r++) new ReadOnlySpan<float>(a + (long)r * lda, d).CopyTo(new Span<float>(qt + r * d, d));
            a = qt;
            lda = d;
        }
        // S[rows, n] = scale · Q · Kᵀ[:, s0:s1], whole vectors of keys
        int nv = (n + 15) & ~15;
        for (int c = 0; c < nv; c += 32)
            Multiply(a, lda, kt + s0 + c, kts, d, scale, s + c, ss, Math.Min(32, nv - c), vectorized);
        for (int r = 0; r < Rows; r++)
        {
            float* row = s + (long)r * ss;
            if (r >= m)
            {
                new Span<float>(row, n).Clear();
                continue;
            }
            float* seg = row + (lo[r] - s0);
            if (softCap > 0f) SoftCap(seg, hi[r] - lo[r], softCap);
            AttentionSoftmax.Row(seg, bias is null ? null : bias + lo[r], hi[r] - lo[r]);
            new Span<float>(row, lo[r] - s0).Clear();
            new Span<float>(row + (hi[r] - s0), s1 - hi[r]).Clear();
        }
        // out = P · V[s0:s1]
        bool direct = m == Rows;
        float* c0 = direct ? dst : ot;
        int ldc = direct ? ldDst : dp;
        float* v0 = vc + (long)s0 * dp;
        int dv = d & ~15;
        for (int c = 0; c < dv; c += 32)
            Multiply(s, ss, v0 + c, dp, n, 1f, c0 + c, ldc, Math.Min(32, dv - c), vectorized);
        if (dv < d) MultiplyTail(s, ss, v0 + dv, dp, n, ot + dv, dp, d - dv, m);
        if (!direct || dv < d)
        {
            for (int r = 0; r < m; r++)
            {
                float* to = dst + (long)r * ldDst;
                if (direct) new ReadOnlySpan<float>(ot + r * dp + dv, d - dv).CopyTo(new Span<float>(to + dv, d - dv));
                else new ReadOnlySpan<float>(ot + r * dp, d).CopyTo(new Span<float>(to, d));
            }
        }
    }

    /// <summary>z = c·tanh(z / c) over a row's attended scores (Gemma 2's attn_logit_softcapping).</summary>
    private static void SoftCap(float* seg, int len, float cap)
    {
        var rs = new Span<float>(seg, len);
        System.Numerics.Tensors.TensorPrimitives.Divide(rs, cap, rs);
        System.Numerics.Tensors.TensorPrimitives.Tanh(rs, rs);
        System.Numerics.Tensors.TensorPrimitives.Multiply(rs, cap, rs);
    }
}
