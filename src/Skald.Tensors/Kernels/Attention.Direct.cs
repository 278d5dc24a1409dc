using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

public static unsafe partial class Attention
{
    /// <summary>
    /// Longest sequence the direct inference kernel takes: measured 1.4–1.6× faster than the packed GEMMs still at 1024–2048
    /// (bench/attention, 2026-12-01); longer ones go through the blocked GEMM path, whose scratch does not grow with T.
    /// </summary>
    internal const int DirectMaxSeq = 2048;

    /// <summary>Whether <see cref="ForwardInference"/> takes the direct kernel for <paramref name="l"/>.</summary>
    internal static bool UsesDirect(AttentionLayout l) => l.Seq <= DirectMaxSeq && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Inference forward (no probabilities kept, no dropout, no backward): the same attention as
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, AttentionLayout, AttentionScoring, float, ulong)"/>
    /// with empty probabilities, through a kernel that packs neither operand when the CPU has AVX-512 and
    /// T ≤ <see cref="DirectMaxSeq"/> (Q·Kᵀ and P·V as row-broadcast FMA tiles over a per-thread transposed K, the
    /// softmax fused per row). Its sums run in another order than the GEMMs', so results differ from
    /// <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, AttentionLayout, AttentionScoring, float, ulong)"/>'s
    /// in the last bits: passes that must match a recording pass bit for bit (checkpointing, GradCache) use that one.
    /// The result does not depend on the thread count.
    /// </summary>
    public static void ForwardInference(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> maskBias, Span<float> output, AttentionLayout l, AttentionScoring sc)
    {
        if (!UsesDirect(l))
        {
            Forward(q, k, v, maskBias, output, default, l, sc);
            return;
        }
        ForwardDirect(q, k, v, maskBias, output, l, sc, vectorized: true);
    }

    /// <summary>
    /// Inference attention without packing (no probabilities kept, no dropout): per (batch, query head) — one work
    /// item, in parallel — K of its key/value head is transposed once into a per-thread [D, T] buffer and V's rows copied
    /// side by side into another (both kept while the next heads of the work range share them: grouped-query), then
    /// query rows in tiles of
    /// <see cref="AttentionTile.Rows"/>: S = scale·Q·Kᵀ over the keys the tile may attend to (Q read in place, row
    /// broadcast times rows of Kᵀ), each row soft-capped and given the <see cref="AttentionSoftmax"/> of its own keys + mask (0 elsewhere),
    /// then out = P·V (P broadcast times the copied rows of V). Each output element is one FMA chain in a fixed
    /// order, so the result does not depend on the thread count, and <paramref name="vectorized"/> = false (the scalar
    /// twin, the same chains with <see cref="MathF.FusedMultiplyAdd"/>) gives the same bits.
    /// <paramref name="chunks"/> &gt; 0 splits the work items into that many ranges on the .NET thread pool (tests:
    /// determinism across partitions); 0 uses the intra-op pool.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void DirectForward(nint iq, nint ik, nint iv, nint imask, bool hasMask, nint iout, AttentionLayout l,
        AttentionScoring sc, bool vectorized, int chunks = 0, nint offsets = 0)
    {
        var a = new Region(iq, ik, iv, imask, hasMask, iout, 0, l, sc, Vectorized: vectorized, Offsets: offsets);
        if (chunks <= 0)
        {
            Parallelism.For(l.Batch * l.Heads, 1, a, static (in Region a, int w0, int w1) =>
                DirectRange(a.Q, a.K, a.V, a.Mask, a.HasMask, a.Output, a.Layout, a.Scoring, a.Vectorized, w0, w1, a.Offsets));
            return;
        }
        DirectChunks(a, chunks);
    }

    // DirectForward's test path: the work items in `chunks` ranges on the .NET thread pool (a method of its own, so that
    // its closure is not allocated on every call of the pool path).
    private static void DirectChunks(Region a, int chunks)
    {
        int count = a.Layout.Batch * a.Layout.Heads;
        System.Threading.Tasks.Parallel.For(0, chunks, c =>
            DirectRange(a.Q, a.K, a.V, a.Mask, a.HasMask, a.Output, a.Layout, a.Scoring, a.Vectorized, (int)((long)count * c / chunks),
                (int)((long)count * (c + 1) / chunks), a.Offsets));
    }

    /// <summary>Span entry of <see cref="DirectForward"/> (<see cref="ForwardInference"/>, tests): output only, no probabilities.</summary>
    internal static void ForwardDirect(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> maskBias, Span<float> output, AttentionLayout l, AttentionScoring sc, bool vectorized,
        int chunks = 0)
    {
        Check(q, k, v, output.Length, 0, maskBias.Length, l);
        CheckBand(l, sc);
        if (l.Batch == 0 || l.Seq == 0 || l.Heads == 0) return;
        fixed (float* pq = q, pk = k, pv = v, pmask = maskBias, pout = output)
            DirectForward((nint)pq, (nint)pk, (nint)pv, (nint)pmask, !maskBias.IsEmpty, (nint)pout, l, sc, vectorized, chunks);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DirectRange(nint iq, nint ik, nint iv, nint imask, bool hasMask, nint iout, AttentionLayout l,
        AttentionScoring sc, bool vectorized, int w0, int w1, nint offsets)
    {
        const int rowsPer = AttentionTile.Rows;
        int d = l.HeadDim;
        int kts = ((l.Seq + 15) & ~15) + 16; // Kᵀ row stride: a tile may start at any key and run to a whole vector
        int ss = kts;                      // score row stride: the columns the tiles compute, and the softmax's last vector
        int dp = (d + 15) & ~15;
        int ktLen = d * kts, sLen = rowsPer * ss, qLen = rowsPer * d, oLen = rowsPer * dp, vLen = l.Seq * dp;
        float[] scratch = ArrayPool<float>.Shared.Rent(ktLen + sLen + qLen + oLen + vLen + 16);
        new Span<float>(scratch).Clear(); // Kᵀ's padding columns stay 0 (finite scores that no row reads)
        fixed (float* raw = scratch)
        {
            // 64-byte aligned, so the tiles' 32-float loads of Kᵀ and V rows do not straddle cache lines.
            float* buf = (float*)(((nint)raw + 63) & ~(nint)63);
            float* kt = buf, s = buf + ktLen, qt = s + sLen, ot = qt + qLen, vc = ot + oLen;
            int* lo = stackalloc int[rowsPer], hi = stackalloc int[rowsPer]; // the tile's queries' key ranges
            int cached = -1;
            for (int w = w0; w < w1; w++)
            {
                int b = w / l.Heads, h = w % l.Heads, kvh = h / l.Group;
                // Sequence b's first row and length: b·T and T padded; offsets[b] and its length unpadded.
                long row0 = offsets == 0 ? (long)b * l.Seq : ((int*)offsets)[b];
                int seq = offsets == 0 ? l.Seq : ((int*)offsets)[b + 1] - (int)row0;
                float* qh = (float*)iq + row0 * l.LdQ + (long)h * d, oh = (float*)iout + row0 * l.LdOut + (long)h * d;
                float* kh = (float*)ik + row0 * l.LdKv + (long)kvh * d, vh = (float*)iv + row0 * l.LdKv + (long)kvh * d;
                if (cached != b * l.KvHeads + kvh)
                {
                    cached = b * l.KvHeads + kvh;
                    AttentionTile.Transpose(kh, l.LdKv, seq, d, kt, kts, vectorized);
                    // V's rows of this head side by side (row stride dp): P·V then steps 256 bytes a key, not a row of
                    // the fused [T, 3C] buffer (a page a key at BERT's widths).
                    for (int t = 0; t < seq; t++)
                        new ReadOnlySpan<float>(vh + (long)t * l.LdKv, d).CopyTo(new Span<float>(vc + (long)t * dp, d));
                }
                for (int t0 = 0; t0 < seq; t0 += rowsPer)
                {
                    int m = Math.Min(rowsPer, seq - t0);
                    for (int r = 0; r < m; r++) (lo[r], hi[r]) = sc.KeyRange(t0 + r, seq);
                    AttentionTile.Queries(qh + (long)t0 * l.LdQ, l.LdQ, m, d, lo, hi, hasMask ? (float*)imask + (long)b * seq : null,
                        kt, kts, vc, dp, s, ss, qt, ot, oh + (long)t0 * l.LdOut, l.LdOut, sc.Scale, sc.SoftCap, vectorized);
                }
            }
        }
        ArrayPool<float>.Shared.Return(scratch);
    }
}
