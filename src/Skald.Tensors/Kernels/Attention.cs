using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Scaled dot-product attention on the [B, T, ·] layout (head h owns columns h·D..h·D+D of q and of the output; key and
/// value head h / (H / Hkv), see <see cref="AttentionLayout"/>):
/// out[b, t, h] = Σ_s P[b, h, t, s] · v[b, s, h'], P = softmax_s of the scores <see cref="AttentionScoring"/> describes
/// (scale · q·k, optional soft-cap, + maskBias[b, s], causal / sliding-window exclusion). One definition serves BERT
/// (H = Hkv, bidirectional, fused QKV strides) and decoders (grouped-query, causal or bidirectional, windows, soft-cap).
/// The fast paths run one (batch, head) pair per work item in parallel (backward: one (batch, key/value head) pair, so
/// the query heads sharing it accumulate in order), with single-threaded managed GEMMs that read the head slices in
/// place through their row strides (no gather copies).
/// </summary>
public static unsafe partial class Attention
{
    private static readonly ManagedGemm Gemm = new();

    /// <summary>
    /// BERT's multi-head attention: q, k, v, output [B, T, C] (C = H·D), row stride <paramref name="ldIn"/> for q/k/v and
    /// C for the output; maskBias: [B, T] added to every score row (0 keeps, large negative masks a key; may be empty).
    /// probs: [B, H, T, T], kept for the backward pass.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ldIn,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq, int heads, int headDim,
        float scale) =>
        Forward(q, k, v, maskBias, output, probs, new AttentionLayout(batch, seq, heads, heads, headDim, ldIn, ldIn,
            heads * headDim), new AttentionScoring(scale));

    /// <summary>
    /// BERT's backward from the saved probabilities: overwrites dq, dk, dv ([B, T, C], row stride <paramref name="ldIn"/>).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k,
        ReadOnlySpan<float> v, int ldIn, ReadOnlySpan<float> probs, Span<float> dq, Span<float> dk, Span<float> dv,
        int batch, int seq, int heads, int headDim, float scale) =>
        Backward(dOutput, q, k, v, probs, dq, dk, dv, new AttentionLayout(batch, seq, heads, heads, headDim, ldIn, ldIn,
            heads * headDim), new AttentionScoring(scale));

    /// <summary>
    /// Forward. maskBias: [B, T] additive key mask (0 keeps, float.MinValue removes; may be empty). probs: [B, H, T, T]
    /// or the band (the softmax output, kept for the backward pass), or empty when no backward follows (inference: the
    /// probabilities then exist one block of query rows at a time). Every query keeps at least itself under causal and window
    /// exclusion, so no row is empty. With <paramref name="dropout"/> &gt; 0 the output is dropout(P)·V (transformers'
    /// attention_dropout in training mode): the mask of P[i] is <see cref="Dropout"/>'s for (seed, i), i the index into
    /// probs, which stays the undropped softmax (the backward pass regenerates the mask).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, AttentionLayout l, AttentionScoring sc,
        float dropout = 0f, ulong seed = 0UL)
    {
        CheckDropout(dropout);
        Check(q, k, v, output.Length, probs.Length, maskBias.Length, l);
        CheckBand(l, sc);
        if (l.Batch == 0 || l.Seq == 0 || l.Heads == 0) return;
        bool hasMask = !maskBias.IsEmpty;
        fixed (float* pq = q, pk = k, pv = v, pmask = maskBias, pout = output, pprobs = probs)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, imask = (nint)pmask, iout = (nint)pout, ip = (nint)pprobs;
            if (l.Band > 0 || probs.IsEmpty)
            {
                ForwardBanded(iq, ik, iv, imask, hasMask, iout, probs.IsEmpty ? 0 : ip, l, sc, dropout, seed);
                return;
            }
            Parallelism.For(l.Batch * l.Heads, 1, new Region(iq, ik, iv, imask, hasMask, iout, ip, l, sc, dropout, seed),
                static (in Region a, int w0, int w1) => DenseRange(a, w0, w1));
        }
    }

    // Work items [w0, w1) of Forward's dense path: (batch, head) pairs, each with its [T, T] probabilities kept.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DenseRange(in Region a, int w0, int w1)
    {
        var l = a.Layout;
        var sc = a.Scoring;
        int seq = l.Seq;
        nint iq = a.Q, ik = a.K, iv = a.V, imask = a.Mask, iout = a.Output, ip = a.Probs;
        bool hasMask = a.HasMask;
        float dropout = a.Dropout;
        ulong seed = a.Seed;
        int tt = seq * seq;
        float[]? dropped = dropout > 0f ? ArrayPool<float>.Shared.Rent(tt) : null;
        for (int w = w0; w < w1; w++)
        {
            int b = w / l.Heads, h = w % l.Heads;
            float* p = (float*)ip + (long)w * tt;
            float* kv = (float*)ik + KvOffset(l, b, h / l.Group);
            // scores[T, T] = scale · Q_bh[T, D] · K_bh'[T, D]ᵀ
            Mm(false, true, seq, seq, l.HeadDim, sc.Scale, (float*)iq + QOffset(l, b, h), l.LdQ, kv, l.LdKv, p,
                seq, 0f);
            var mask = hasMask ? new ReadOnlySpan<float>((float*)imask + (long)b * seq, seq) : default;
            for (int t = 0; t < seq; t++) ScoreRow(p + (long)t * seq, mask, t, seq, sc);
            // out_bh[T, D] = dropout(P)[T, T] · V_bh'[T, D], written in place into the output rows.
            fixed (float* pd = dropped)
            {
                float* pv = p;
                if (pd != null)
                {
                    Dropout.ApplySlice(new ReadOnlySpan<float>(p, tt), new Span<float>(pd, tt), dropout, seed, (long)w * tt);
                    pv = pd;
                }
                Mm(false, false, seq, l.HeadDim, seq, 1f, pv, seq, (float*)iv + KvOffset(l, b, h / l.Group), l.LdKv,
                    (float*)iout + OutOffset(l, b, h), l.LdOut, 0f);
            }
        }
        if (dropped is not null) ArrayPool<float>.Shared.Return(dropped);
    }

    /// <summary>A forward kernel's arguments for its static parallel body (no closure per call): the pinned inputs and
    /// outputs (Probs 0: none kept), layout, scoring and dropout; Rows and MaxCols the banded path's query block and its
    /// widest key range; Vectorized and Offsets the direct path's.</summary>
    private readonly record struct Region(nint Q, nint K, nint V, nint Mask, bool HasMask, nint Output, nint Probs,
        AttentionLayout Layout, AttentionScoring Scoring, float Dropout = 0f, ulong Seed = 0UL, int Rows = 0, int MaxCols = 0,
        bool Vectorized = false, nint Offsets = 0);

    /// <summary>
    /// Backward from the saved probabilities. dOutput: row stride <see cref="AttentionLayout.LdOut"/>; q, k, v as in the
    /// forward pass; overwrites dq (stride LdQ), dk and dv (stride LdKv). Per query head h reading key/value head h':
    /// dV_h' += Pᵀ·dO, dP = dO·V_h'ᵀ, dZ = P ⊙ (dP − rowsum(dP ⊙ P)), with soft-cap dZ ⊙= 1 − tanh²(z/c) (z recomputed),
    /// dQ = scale·dZ·K_h', dK_h' += scale·dZᵀ·Q. The mask bias gets no gradient. With <paramref name="dropout"/> (the
    /// forward's p and seed) the mask M is regenerated: dV_h' += (P ⊙ M)ᵀ·dO and dP = (dO·V_h'ᵀ) ⊙ M.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k,
        ReadOnlySpan<float> v, ReadOnlySpan<float> probs, Span<float> dq, Span<float> dk, Span<float> dv,
        AttentionLayout l, AttentionScoring sc, float dropout = 0f, ulong seed = 0UL)
    {
        CheckDropout(dropout);
        Check(q, k, v, dOutput.Length, probs.Length, 0, l);
        Check(dq, dk, dv, dOutput.Length, probs.Length, 0, l);
        CheckBand(l, sc);
        if (probs.Length < l.ProbsLength) throw new ArgumentException($"probs needs {l.ProbsLength} elements.");
        if (l.Batch == 0 || l.Seq == 0 || l.Heads == 0) return;
        int seq = l.Seq;
        fixed (float* pdo = dOutput, pq = q, pk = k, pv = v, pp = probs, pdq = dq, pdk = dk, pdv = dv)
        {
            nint ido = (nint)pdo, iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, ip = (nint)pp;
            nint idq = (nint)pdq, idk = (nint)pdk, idv = (nint)pdv;
            if (l.Band > 0)
            {
                BackwardBanded(ido, iq, ik, iv, ip, idq, idk, idv, l, sc, dropout, seed);
                return;
            }
            Parallelism.For(l.Batch * l.KvHeads, 1, (w0, w1) =>
            {
                int tt = seq * seq;
                // scratch: dS [T, T], z [T, T] (soft-cap), P ⊙ M [T, T], M [T, T] (the mask, drawn once for both)
                int zAt = tt, pdAt = sc.SoftCap > 0f ? 2 * tt : tt, maskAt = pdAt + tt;
                float[] scratch = ArrayPool<float>.Shared.Rent(dropout > 0f ? maskAt + tt : pdAt);
                fixed (float* ds = scratch)
                {
                    for (int w = w0; w < w1; w++)
                    {
                        int b = w / l.KvHeads, kvh = w % l.KvHeads;
                        long kvOff = KvOffset(l, b, kvh);
                        for (int r = 0; r < l.Group; r++)
                        {
                            int h = kvh * l.Group + r;
                            float beta = r == 0 ? 0f : 1f;
                            float* dO = (float*)ido + OutOffset(l, b, h);
                            float* qh = (float*)iq + QOffset(l, b, h);
                            long pOff = ((long)b * l.Heads + h) * tt;
                            float* p = (float*)ip + pOff, pm = p;
                            var mask = dropout > 0f ? new Span<float>(ds + maskAt, tt) : default;
                            if (dropout > 0f)
                            {
                                pm = ds + pdAt;
                                Dropout.MaskSlice(mask, dropout, seed, pOff);
                                Dropout.ApplyMask(new ReadOnlySpan<float>(p, tt), new Span<float>(pm, tt), mask, dropout);
                            }
                            // dV_h'[T, D] += (P ⊙ M)ᵀ · dO;  dS[T, T] = dO · V_h'ᵀ (⊙ M)
                            Mm(true, false, seq, l.HeadDim, seq, 1f, pm, seq, dO, l.LdOut, (float*)idv + kvOff, l.LdKv, beta);
                            Mm(false, true, seq, seq, l.HeadDim, 1f, dO, l.LdOut, (float*)iv + kvOff, l.LdKv, ds, seq, 0f);
                            if (dropout > 0f) Dropout.ApplyMask(new ReadOnlySpan<float>(ds, tt), new Span<float>(ds, tt), mask, dropout);
                            for (int t = 0; t < seq; t++)
                            {
                                var row = new Span<float>(ds + (long)t * seq, seq);
                                Softmax.BackwardRow(new ReadOnlySpan<float>(p + (long)t * seq, seq), row, row);
                            }
                            if (sc.SoftCap > 0f) SoftCapBackward(qh, (float*)ik + kvOff, ds, ds + zAt, l, sc);
                            Mm(false, false, seq, l.HeadDim, seq, sc.Scale, ds, seq, (float*)ik + kvOff, l.LdKv,
                                (float*)idq + QOffset(l, b, h), l.LdQ, 0f);
                            Mm(true, false, seq, l.HeadDim, seq, sc.Scale, ds, seq, qh, l.LdQ, (float*)idk + kvOff, l.LdKv, beta);
                        }
                    }
                }
                ArrayPool<float>.Shared.Return(scratch);
            });
        }
    }

    /// <summary>One score row in place: soft-cap, + mask, exclusion (−∞), softmax.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScoreRow(float* row, ReadOnlySpan<float> mask, int t, int seq, AttentionScoring sc)
    {
        var rs = new Span<float>(row, seq);
        if (sc.SoftCap > 0f)
        {
            TensorPrimitives.Divide(rs, sc.SoftCap, rs);
            TensorPrimitives.Tanh(rs, rs);
            TensorPrimitives.Multiply(rs, sc.SoftCap, rs);
        }
        if (!mask.IsEmpty) TensorPrimitives.Add(rs, mask, rs);
        if (sc.Causal) rs[(t + 1)..].Fill(float.NegativeInfinity);
        if (sc.Window > 0)
        {
            if (t - sc.Window >= 0) rs[..(t - sc.Window + 1)].Fill(float.NegativeInfinity);
            if (!sc.Causal && t + sc.Window < seq) rs[(t + sc.Window)..].Fill(float.NegativeInfinity);
        }
        Softmax.ForwardRow(row, row, seq);
    }

    /// <summary>dZ ⊙= 1 − tanh²(scale·q·k / c) for one (b, h): z [T, T] is scratch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftCapBackward(float* qh, float* kh, float* ds, float* z, AttentionLayout l, AttentionScoring sc)
    {
        int seq = l.Seq, tt = seq * seq;
        Mm(false, true, seq, seq, l.HeadDim, sc.Scale / sc.SoftCap, qh, l.LdQ, kh, l.LdKv, z, seq, 0f);
        var zs = new Span<float>(z, tt);
        var d = new Span<float>(ds, tt);
        TensorPrimitives.Tanh(zs, zs);
        TensorPrimitives.Multiply(zs, zs, zs);
        TensorPrimitives.Subtract(1f, zs, zs);
        TensorPrimitives.Multiply(d, zs, d);
    }

    private static void CheckDropout(float dropout)
    {
        if (!(dropout is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), "attention dropout must be in [0, 1)");
    }

    private static long QOffset(AttentionLayout l, int b, int h) => (long)b * l.Seq * l.LdQ + (long)h * l.HeadDim;

    private static long KvOffset(AttentionLayout l, int b, int kvh) => (long)b * l.Seq * l.LdKv + (long)kvh * l.HeadDim;

    private static long OutOffset(AttentionLayout l, int b, int h) => (long)b * l.Seq * l.LdOut + (long)h * l.HeadDim;

    /// <summary>C = alpha·op(A)·op(B) + beta·C on raw pointers, single-threaded (kernels that already run work items in parallel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Mm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b,
        int ldb, float* c, int ldc, float beta)
    {
        var g = new GemmArgs
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            Alpha = alpha, Beta = beta, A = a, B = b, C = c,
        };
        Gemm.SgemmSingleThread(g);
    }

    private static void Check(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int outLength,
        long probsLength, int maskLength, AttentionLayout l)
    {
        if (l.Batch < 0 || l.Seq < 0 || l.Heads < 0 || l.HeadDim < 0 || l.KvHeads <= 0 && l.Heads > 0)
            throw new ArgumentOutOfRangeException(nameof(l), $"invalid attention layout {l}");
        if (l.Heads % Math.Max(l.KvHeads, 1) != 0)
            throw new ArgumentException($"num_attention_heads {l.Heads} is not a multiple of num_key_value_heads {l.KvHeads}");
        int cq = l.Heads * l.HeadDim, ckv = l.KvHeads * l.HeadDim;
        if (l.LdQ < cq || l.LdKv < ckv || l.LdOut < cq)
            throw new ArgumentOutOfRangeException(nameof(l), $"row strides {l.LdQ}/{l.LdKv}/{l.LdOut} are below the widths {cq}/{ckv}/{cq}");
        long rows = (long)l.Batch * l.Seq;
        long needQ = rows == 0 ? 0 : (rows - 1) * l.LdQ + cq, needKv = rows == 0 ? 0 : (rows - 1) * l.LdKv + ckv;
        if (q.Length < needQ || k.Length < needKv || v.Length < needKv)
            throw new ArgumentException($"q needs {needQ} and k/v {needKv} elements (row strides {l.LdQ}, {l.LdKv}).");
        long needOut = rows == 0 ? 0 : (rows - 1) * l.LdOut + cq;
        if (outLength < needOut) throw new ArgumentException($"Output needs {needOut} elements.");
        if (probsLength != 0 && probsLength < l.ProbsLength) throw new ArgumentException($"probs needs {l.ProbsLength} elements (or none).");
        if (maskLength != 0 && maskLength < rows) throw new ArgumentException("maskBias needs batch·seq elements (or empty).");
    }
}
