using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// LTG-BERT's (NorBERT3's) disentangled self-attention over log-bucketed relative positions, after DeBERTa:
/// for batch b, head h, query q and key k with r = idx[q, k] (<see cref="BucketIndices"/>),
/// s[q, k] = scale · (Q_q·K_k + Q_q·Kpos_r + K_k·Qpos_r) + maskBias[b, k], P = softmax_k(s), out_q = Σ_k P[q, k]·V_k.
/// Layouts: qk [B·T, 2C] (queries in columns 0..C−1, keys in C..2C−1, head h at h·D), v and out [B·T, C];
/// pos [R, 2C] is the q/k projection of the R = 2·bucket − 1 relative embeddings, read as upstream's
/// <c>view(R, H, 2D).chunk(2)</c>: head h's query part is columns 2hD..2hD+D−1 and its key part 2hD+D..2hD+2D−1.
/// The position terms are computed as DeBERTa does, as [T, R] products gathered by idx (T·R·D work rather than T²·D).
/// Forward runs one (batch, head) pair per work item; backward one head per work item (looping over the batch), so
/// each head's columns of d pos are written by one thread. The <c>...Reference</c> methods are the scalar
/// double-precision twins computing every term directly.
/// </summary>
public static unsafe class RelativeAttention
{
    private static readonly ManagedGemm Gemm = new();

    /// <summary>
    /// idx[q·T + k] = bucket − 1 + the log bucket of q − k, as upstream's make_log_bucket_position: relative distances
    /// inside (−bucket/2, bucket/2) keep their value, longer ones are put in log-spaced buckets up to
    /// <paramref name="maxPosition"/> (computed in float32 as torch does). Values lie in [0, 2·bucket − 2].
    /// </summary>
    public static int[] BucketIndices(int seq, int bucketSize, int maxPosition)
    {
        var idx = new int[seq * seq];
        for (int q = 0; q < seq; q++)
            for (int k = 0; k < seq; k++) idx[q * seq + k] = bucketSize - 1 + Bucket(q - k, bucketSize, maxPosition);
        return idx;
    }

    /// <summary>The log bucket of one relative position (see <see cref="BucketIndices"/>).</summary>
    public static int Bucket(int relative, int bucketSize, int maxPosition)
    {
        int mid = bucketSize / 2;
        int sign = Math.Sign(relative);
        int abs = relative < mid && relative > -mid ? mid - 1 : Math.Min(Math.Abs(relative), maxPosition - 1);
        if (abs <= mid) return relative;
        float ratio = MathF.Log((float)abs / mid) / (float)Math.Log((maxPosition - 1.0) / mid) * (mid - 1);
        int log = (int)MathF.Ceiling(ratio) + mid;
        return log * sign;
    }

    /// <summary>
    /// Forward. idx: [T, T] from <see cref="BucketIndices"/>; maskBias: [B·T] (0 keeps a key, float.MinValue removes
    /// it); probs: [B, H, T, T], the softmax kept for backward. With <paramref name="dropout"/> &gt; 0 the output is
    /// dropout(P)·V, the mask of P[i] being <see cref="Dropout"/>'s for (seed, i).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> qk, ReadOnlySpan<float> v, ReadOnlySpan<float> pos,
        ReadOnlySpan<int> idx, ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq,
        int heads, int headDim, int buckets, float scale, float dropout = 0f, ulong seed = 0UL)
    {
        Check(qk, v, pos, idx, maskBias, output.Length, probs.Length, batch, seq, heads, headDim, buckets);
        if (maskBias.IsEmpty) throw new ArgumentException("maskBias must be [B·T]");
        fixed (float* pqk = qk, pv = v, ppos = pos, pmask = maskBias, pout = output, pprobs = probs)
        fixed (int* pidx = idx)
        {
            var args = new ForwardArgs((nint)pqk, (nint)pv, (nint)ppos, (nint)pidx, (nint)pmask, (nint)pout, (nint)pprobs, batch,
                seq, heads, headDim, buckets, scale, dropout, seed);
            Parallelism.For(batch * heads, 1, args, static (in ForwardArgs a, int w0, int w1) => ForwardRange(a, w0, w1));
        }
    }

    // Forward's arguments for its static parallel body (no closure per call): the pinned spans and the shape.
    private readonly record struct ForwardArgs(nint Qk, nint V, nint Pos, nint Idx, nint Mask, nint Output, nint Probs,
        int Batch, int Seq, int Heads, int HeadDim, int Buckets, float Scale, float Dropout, ulong Seed);

    // Work items [w0, w1) of Forward: (batch, head) pairs, each with its [T, T] probabilities kept.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRange(in ForwardArgs args, int w0, int w1)
    {
        int seq = args.Seq, heads = args.Heads, d = args.HeadDim, r = args.Buckets, c = heads * d, tt = seq * seq;
        float scale = args.Scale, dropout = args.Dropout;
        ulong seed = args.Seed;
        nint iqk = args.Qk, iv = args.V, ipos = args.Pos, imask = args.Mask, iout = args.Output, ip = args.Probs, ii = args.Idx;
        float[] a = ArrayPool<float>.Shared.Rent(2 * seq * r);
        float[]? dropped = dropout > 0f ? ArrayPool<float>.Shared.Rent(tt) : null;
        fixed (float* pa = a, pd = dropped)
        {
            for (int w = w0; w < w1; w++)
            {
                int b = w / heads, h = w % heads;
                float* q = (float*)iqk + (long)b * seq * 2 * c + h * d, k = q + c;
                float* qpos = (float*)ipos + 2 * h * d, kpos = qpos + d;
                float* s = (float*)ip + (long)w * tt, c2p = pa, p2c = pa + seq * r;
                Attention.Mm(false, true, seq, seq, d, scale, q, 2 * c, k, 2 * c, s, seq, 0f);       // s = scale·Q·Kᵀ
                Attention.Mm(false, true, seq, r, d, scale, q, 2 * c, kpos, 2 * c, c2p, r, 0f);     // [T, R] = scale·Q·Kposᵀ
                Attention.Mm(false, true, seq, r, d, scale, k, 2 * c, qpos, 2 * c, p2c, r, 0f);     // [T, R] = scale·K·Qposᵀ
                float* mask = (float*)imask + (long)b * seq;
                int* ix = (int*)ii;
                for (int t = 0; t < seq; t++)
                {
                    float* row = s + (long)t * seq;
                    for (int j = 0; j < seq; j++)
                    {
                        int bucket = ix[t * seq + j];
                        row[j] += c2p[t * r + bucket] + p2c[j * r + bucket] + mask[j];
                    }
                    SoftmaxRow(new Span<float>(row, seq));
                }
                float* pv2 = s;
                if (pd != null)
                {
                    Dropout.ApplySlice(new ReadOnlySpan<float>(s, tt), new Span<float>(pd, tt), dropout, seed, (long)w * tt);
                    pv2 = pd;
                }
                Attention.Mm(false, false, seq, d, seq, 1f, pv2, seq, (float*)iv + (long)b * seq * c + h * d, c,
                    (float*)iout + (long)b * seq * c + h * d, c, 0f);
            }
        }
        ArrayPool<float>.Shared.Return(a);
        if (dropped is not null) ArrayPool<float>.Shared.Return(dropped);
    }

    /// <summary>
    /// Backward from the saved probabilities: overwrites dqk [B·T, 2C], dv [B·T, C] and dpos [R, 2C].
    /// With dS = P ⊙ (dP − rowsum(dP ⊙ P)), dP = dropout(dO·Vᵀ): dQ = scale·(dS·K + G·Kpos), dK = scale·(dSᵀ·Q + G′·Qpos),
    /// dKpos = scale·Gᵀ·Q, dQpos = scale·G′ᵀ·K, where G[q, r] = Σ_k dS[q, k]·[idx[q, k] = r] and
    /// G′[k, r] = Σ_q dS[q, k]·[idx[q, k] = r] (summed over the batch for dpos).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> qk, ReadOnlySpan<float> v,
        ReadOnlySpan<float> pos, ReadOnlySpan<int> idx, ReadOnlySpan<float> probs, Span<float> dqk, Span<float> dv,
        Span<float> dpos, int batch, int seq, int heads, int headDim, int buckets, float scale, float dropout = 0f,
        ulong seed = 0UL)
    {
        Check(qk, v, pos, idx, default, dOutput.Length, probs.Length, batch, seq, heads, headDim, buckets);
        int c = heads * headDim, tt = seq * seq, d = headDim, r = buckets;
        if (dqk.Length < qk.Length || dv.Length < v.Length || dpos.Length < pos.Length)
            throw new ArgumentException("gradient buffers are shorter than their inputs");
        fixed (float* pdo = dOutput, pqk = qk, pv = v, ppos = pos, pprobs = probs, pdqk = dqk, pdv = dv, pdpos = dpos)
        fixed (int* pidx = idx)
        {
            nint ido = (nint)pdo, iqk = (nint)pqk, iv = (nint)pv, ipos = (nint)ppos, ip = (nint)pprobs,
                idqk = (nint)pdqk, idv = (nint)pdv, idpos = (nint)pdpos, ii = (nint)pidx;
            Parallelism.For(heads, 1, (h0, h1) =>
            {
                float[] work = ArrayPool<float>.Shared.Rent(2 * tt + 2 * seq * r);
                fixed (float* pw = work)
                {
                    float* ds = pw, pd = pw + tt, g = pw + 2 * tt, g2 = g + seq * r;
                    int* ix = (int*)ii;
                    for (int h = h0; h < h1; h++)
                    {
                        float* qpos = (float*)ipos + 2 * h * d, kpos = qpos + d;
                        float* dqpos = (float*)idpos + 2 * h * d, dkpos = dqpos + d;
                        for (int i = 0; i < r; i++) new Span<float>(dqpos + (long)i * 2 * c, 2 * d).Clear();
                        for (int b = 0; b < batch; b++)
                        {
                            int w = b * heads + h;
                            long rowQk = (long)b * seq * 2 * c + h * d, rowV = (long)b * seq * c + h * d;
                            float* q = (float*)iqk + rowQk, k = q + c, dq = (float*)idqk + rowQk, dk = dq + c;
                            float* vh = (float*)iv + rowV, dvh = (float*)idv + rowV, dO = (float*)ido + rowV;
                            float* p = (float*)ip + (long)w * tt, pm = p;
                            if (dropout > 0f)
                            {
                                Dropout.ApplySlice(new ReadOnlySpan<float>(p, tt), new Span<float>(pd, tt), dropout, seed, (long)w * tt);
                                pm = pd;
                            }
                            Attention.Mm(true, false, seq, d, seq, 1f, pm, seq, dO, c, dvh, c, 0f);     // dV = Pdᵀ·dO
                            Attention.Mm(false, true, seq, seq, d, 1f, dO, c, vh, c, ds, seq, 0f);      // dPd = dO·Vᵀ
                            if (dropout > 0f)
                                Dropout.ApplySlice(new ReadOnlySpan<float>(ds, tt), new Span<float>(ds, tt), dropout, seed, (long)w * tt);
                            for (int t = 0; t < seq; t++)
                            {
                                var pr = new ReadOnlySpan<float>(p + (long)t * seq, seq);
                                var dr = new Span<float>(ds + (long)t * seq, seq);
                                float dot = TensorPrimitives.Dot(pr, dr);
                                for (int j = 0; j < seq; j++) dr[j] = pr[j] * (dr[j] - dot);
                            }
                            new Span<float>(g, 2 * seq * r).Clear();
                            for (int t = 0; t < seq; t++)
                            {
                                for (int j = 0; j < seq; j++)
                                {
                                    float x = ds[t * seq + j];
                                    int bucket = ix[t * seq + j];
                                    g[t * r + bucket] += x;
                                    g2[j * r + bucket] += x;
                                }
                            }
                            Attention.Mm(false, false, seq, d, seq, scale, ds, seq, k, 2 * c, dq, 2 * c, 0f);   // dQ = scale·dS·K
                            Attention.Mm(true, false, seq, d, seq, scale, ds, seq, q, 2 * c, dk, 2 * c, 0f);    // dK = scale·dSᵀ·Q
                            Attention.Mm(false, false, seq, d, r, scale, g, r, kpos, 2 * c, dq, 2 * c, 1f);     // dQ += scale·G·Kpos
                            Attention.Mm(false, false, seq, d, r, scale, g2, r, qpos, 2 * c, dk, 2 * c, 1f);    // dK += scale·G′·Qpos
                            Attention.Mm(true, false, r, d, seq, scale, g, r, q, 2 * c, dkpos, 2 * c, 1f);      // dKpos += scale·Gᵀ·Q
                            Attention.Mm(true, false, r, d, seq, scale, g2, r, k, 2 * c, dqpos, 2 * c, 1f);     // dQpos += scale·G′ᵀ·K
                        }
                    }
                }
                ArrayPool<float>.Shared.Return(work);
            });
        }
    }

    /// <summary>Scalar double-precision twin of <see cref="Forward"/> (every score term computed directly).</summary>
    public static void ForwardReference(ReadOnlySpan<float> qk, ReadOnlySpan<float> v, ReadOnlySpan<float> pos,
        ReadOnlySpan<int> idx, ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq,
        int heads, int headDim, int buckets, float scale)
    {
        Check(qk, v, pos, idx, maskBias, output.Length, probs.Length, batch, seq, heads, headDim, buckets);
        int c = heads * headDim, d = headDim;
        var row = new double[seq];
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < seq; t++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < seq; j++)
            {
                int bucket = idx[t * seq + j];
                double s = 0;
                for (int e = 0; e < d; e++)
                {
                    double qv = qk[(b * seq + t) * 2 * c + h * d + e], kv = qk[(b * seq + j) * 2 * c + c + h * d + e];
                    s += qv * kv + qv * pos[bucket * 2 * c + 2 * h * d + d + e] + kv * pos[bucket * 2 * c + 2 * h * d + e];
                }
                row[j] = scale * s + maskBias[b * seq + j];
                max = Math.Max(max, row[j]);
            }
            double sum = 0;
            for (int j = 0; j < seq; j++) { row[j] = Math.Exp(row[j] - max); sum += row[j]; }
            for (int j = 0; j < seq; j++) probs[((b * heads + h) * seq + t) * seq + j] = (float)(row[j] / sum);
            for (int e = 0; e < d; e++)
            {
                double o = 0;
                for (int j = 0; j < seq; j++) o += row[j] / sum * v[(b * seq + j) * c + h * d + e];
                output[(b * seq + t) * c + h * d + e] = (float)o;
            }
        }
    }

    /// <summary>
    /// Scalar double-precision twin of <see cref="Backward"/> (no dropout), from the probabilities of
    /// <see cref="ForwardReference"/>: every gradient term accumulated directly per (query, key) pair.
    /// </summary>
    public static void BackwardReference(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> qk, ReadOnlySpan<float> v,
        ReadOnlySpan<float> pos, ReadOnlySpan<int> idx, ReadOnlySpan<float> probs, Span<float> dqk, Span<float> dv,
        Span<float> dpos, int batch, int seq, int heads, int headDim, int buckets, float scale)
    {
        Check(qk, v, pos, idx, default, dOutput.Length, probs.Length, batch, seq, heads, headDim, buckets);
        int c = heads * headDim, d = headDim;
        var gqk = new double[batch * seq * 2 * c];
        var gv = new double[batch * seq * c];
        var gpos = new double[buckets * 2 * c];
        var ds = new double[seq];
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < seq; t++)
        {
            int pRow = ((b * heads + h) * seq + t) * seq, q0 = (b * seq + t) * 2 * c + h * d;
            double dot = 0;
            for (int j = 0; j < seq; j++)
            {
                double dp = 0;
                for (int e = 0; e < d; e++) dp += (double)dOutput[(b * seq + t) * c + h * d + e] * v[(b * seq + j) * c + h * d + e];
                ds[j] = dp;
                dot += dp * probs[pRow + j];
            }
            for (int j = 0; j < seq; j++)
            {
                double p = probs[pRow + j], g = scale * p * (ds[j] - dot);
                int k0 = (b * seq + j) * 2 * c + c + h * d, r0 = idx[t * seq + j] * 2 * c + 2 * h * d;
                for (int e = 0; e < d; e++)
                {
                    gv[(b * seq + j) * c + h * d + e] += p * dOutput[(b * seq + t) * c + h * d + e];
                    gqk[q0 + e] += g * (qk[k0 + e] + pos[r0 + d + e]);
                    gqk[k0 + e] += g * (qk[q0 + e] + pos[r0 + e]);
                    gpos[r0 + d + e] += g * qk[q0 + e];
                    gpos[r0 + e] += g * qk[k0 + e];
                }
            }
        }
        for (int i = 0; i < gqk.Length; i++) dqk[i] = (float)gqk[i];
        for (int i = 0; i < gv.Length; i++) dv[i] = (float)gv[i];
        for (int i = 0; i < gpos.Length; i++) dpos[i] = (float)gpos[i];
    }

    /// <summary>Stable softmax of one score row in place.</summary>
    private static void SoftmaxRow(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Multiply(row, 1f / sum, row);
    }


    private static void Check(ReadOnlySpan<float> qk, ReadOnlySpan<float> v, ReadOnlySpan<float> pos,
        ReadOnlySpan<int> idx, ReadOnlySpan<float> maskBias, int outLength, int probsLength, int batch, int seq,
        int heads, int headDim, int buckets)
    {
        long n = (long)batch * seq, c = (long)heads * headDim;
        if (qk.Length < n * 2 * c || v.Length < n * c || outLength < n * c || pos.Length < buckets * 2 * c)
            throw new ArgumentException("qk must be [B·T, 2C], v and the output [B·T, C], pos [R, 2C]");
        if (idx.Length < (long)seq * seq || probsLength < (long)batch * heads * seq * seq)
            throw new ArgumentException("idx must be [T, T] and probs [B, H, T, T]");
        if (!maskBias.IsEmpty && maskBias.Length < n) throw new ArgumentException("maskBias must be [B·T]");
        foreach (int i in idx[..(seq * seq)])
            if ((uint)i >= (uint)buckets) throw new ArgumentException($"relative bucket {i} is outside the {buckets} embeddings");
    }
}
