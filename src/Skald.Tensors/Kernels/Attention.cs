using System.Buffers;
using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention on the [B, T, C] layout (C = H·D, head h owns columns h·D..h·D+D).
/// out[b, t, h] = Σ_s softmax_s(scale · q[b,t,h]·k[b,s,h] + maskBias[b, s]) · v[b, s, h].
/// The fast paths run one (batch, head) pair per work item in parallel, with single-threaded managed GEMMs that read
/// the head slices in place through their row strides (no gather copies).
/// </summary>
public static unsafe class Attention
{
    private static readonly ManagedGemm Gemm = new();

    /// <summary>
    /// Forward. q, k, v, output: [B, T, C] with row stride <paramref name="ldIn"/> for q/k/v (lets them be column slices of
    /// one fused [B, T, 3C] buffer) and C for output. maskBias: [B, T] added to every score row (0 keeps, large negative
    /// masks a key; may be empty for no mask). probs: [B, H, T, T], kept for the backward pass.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ldIn,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq, int heads, int headDim,
        float scale)
    {
        int c = Check(q, k, v, ldIn, output.Length, probs.Length, batch, seq, heads, headDim);
        if (!maskBias.IsEmpty && maskBias.Length < batch * seq)
            throw new ArgumentException("maskBias needs batch·seq elements (or empty).", nameof(maskBias));
        if (batch == 0 || seq == 0 || heads == 0) return;
        bool hasMask = !maskBias.IsEmpty;
        fixed (float* pq = q, pk = k, pv = v, pmask = maskBias, pout = output, pprobs = probs)
        {
            nint iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, imask = (nint)pmask, iout = (nint)pout, ip = (nint)pprobs;
            Parallelism.For(batch * heads, 1, (w0, w1) =>
            {
                for (int w = w0; w < w1; w++)
                {
                    int b = w / heads, h = w % heads;
                    long inOff = (long)b * seq * ldIn + (long)h * headDim;
                    float* p = (float*)ip + (long)w * seq * seq;
                    // scores[T, T] = scale · Q_bh[T, D] · K_bh[T, D]ᵀ
                    Mm(false, true, seq, seq, headDim, scale, (float*)iq + inOff, ldIn, (float*)ik + inOff, ldIn, p, seq);
                    var mask = hasMask ? new ReadOnlySpan<float>((float*)imask + (long)b * seq, seq) : default;
                    for (int t = 0; t < seq; t++)
                    {
                        float* row = p + (long)t * seq;
                        if (hasMask)
                        {
                            var rs = new Span<float>(row, seq);
                            TensorPrimitives.Add(rs, mask, rs);
                        }
                        Softmax.ForwardRow(row, row, seq);
                    }
                    // out_bh[T, D] = P[T, T] · V_bh[T, D], written in place into the [B, T, C] output.
                    Mm(false, false, seq, headDim, seq, 1f, p, seq, (float*)iv + inOff, ldIn,
                        (float*)iout + (long)b * seq * c + (long)h * headDim, c);
                }
            });
        }
    }

    /// <summary>Scalar double-accumulating twin of <see cref="Forward"/> (the tests' reference).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ForwardReference(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ldIn,
        ReadOnlySpan<float> maskBias, Span<float> output, Span<float> probs, int batch, int seq, int heads, int headDim,
        float scale)
    {
        int c = heads * headDim;
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        {
            var p = probs.Slice(((b * heads) + h) * seq * seq, seq * seq);
            for (int t = 0; t < seq; t++)
            {
                for (int s = 0; s < seq; s++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                        dot += q[(b * seq + t) * ldIn + h * headDim + d] * k[(b * seq + s) * ldIn + h * headDim + d];
                    p[t * seq + s] = (float)(dot * scale) + (maskBias.IsEmpty ? 0f : maskBias[b * seq + s]);
                }
            }
            Softmax.ForwardReference(p, p, seq, seq);
            for (int t = 0; t < seq; t++)
            for (int d = 0; d < headDim; d++)
            {
                double acc = 0;
                for (int s = 0; s < seq; s++) acc += p[t * seq + s] * v[(b * seq + s) * ldIn + h * headDim + d];
                output[(b * seq + t) * c + h * headDim + d] = (float)acc;
            }
        }
    }

    /// <summary>
    /// Backward from the saved probabilities. dOutput: [B, T, C] (row stride C); q, k, v as in <see cref="Forward"/>;
    /// probs: [B, H, T, T] from the forward pass. Overwrites dq, dk, dv: [B, T, C] with row stride
    /// <paramref name="ldIn"/> (so they may be column slices of one fused [B, T, 3C] gradient buffer). Per (b, h):
    /// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
    /// The mask bias gets no gradient.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> dOutput, ReadOnlySpan<float> q, ReadOnlySpan<float> k,
        ReadOnlySpan<float> v, int ldIn, ReadOnlySpan<float> probs, Span<float> dq, Span<float> dk, Span<float> dv,
        int batch, int seq, int heads, int headDim, float scale)
    {
        int c = Check(q, k, v, ldIn, dOutput.Length, probs.Length, batch, seq, heads, headDim);
        Check(dq, dk, dv, ldIn, dOutput.Length, probs.Length, batch, seq, heads, headDim);
        if (batch == 0 || seq == 0 || heads == 0) return;
        fixed (float* pdo = dOutput, pq = q, pk = k, pv = v, pp = probs, pdq = dq, pdk = dk, pdv = dv)
        {
            nint ido = (nint)pdo, iq = (nint)pq, ik = (nint)pk, iv = (nint)pv, ip = (nint)pp;
            nint idq = (nint)pdq, idk = (nint)pdk, idv = (nint)pdv;
            Parallelism.For(batch * heads, 1, (w0, w1) =>
            {
                float[] scratch = ArrayPool<float>.Shared.Rent(seq * seq);
                fixed (float* ds = scratch)
                {
                    for (int w = w0; w < w1; w++)
                    {
                        int b = w / heads, h = w % heads;
                        long inOff = (long)b * seq * ldIn + (long)h * headDim;
                        float* dO = (float*)ido + (long)b * seq * c + (long)h * headDim;
                        float* p = (float*)ip + (long)w * seq * seq;
                        Mm(true, false, seq, headDim, seq, 1f, p, seq, dO, c, (float*)idv + inOff, ldIn);
                        Mm(false, true, seq, seq, headDim, 1f, dO, c, (float*)iv + inOff, ldIn, ds, seq);
                        for (int t = 0; t < seq; t++)
                        {
                            var row = new Span<float>(ds + (long)t * seq, seq);
                            Softmax.BackwardRow(new ReadOnlySpan<float>(p + (long)t * seq, seq), row, row);
                        }
                        Mm(false, false, seq, headDim, seq, scale, ds, seq, (float*)ik + inOff, ldIn,
                            (float*)idq + inOff, ldIn);
                        Mm(true, false, seq, headDim, seq, scale, ds, seq, (float*)iq + inOff, ldIn,
                            (float*)idk + inOff, ldIn);
                    }
                }
                ArrayPool<float>.Shared.Return(scratch);
            });
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Mm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b,
        int ldb, float* c, int ldc)
    {
        var g = new GemmArgs
        {
            TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
            Alpha = alpha, Beta = 0f, A = a, B = b, C = c,
        };
        Gemm.SgemmSingleThread(g);
    }

    private static int Check(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ldIn,
        int outLength, int probsLength, int batch, int seq, int heads, int headDim)
    {
        if (batch < 0 || seq < 0 || heads < 0 || headDim < 0) throw new ArgumentOutOfRangeException(nameof(batch));
        int c = heads * headDim;
        if (ldIn < c) throw new ArgumentOutOfRangeException(nameof(ldIn), $"ldIn={ldIn} < C={c}.");
        long rows = (long)batch * seq;
        long needIn = rows == 0 ? 0 : (rows - 1) * ldIn + c;
        if (q.Length < needIn || k.Length < needIn || v.Length < needIn)
            throw new ArgumentException($"q/k/v need {needIn} elements (row stride {ldIn}).");
        if (outLength < rows * c) throw new ArgumentException($"Output needs {rows * c} elements.");
        if (probsLength < (long)batch * heads * seq * seq)
            throw new ArgumentException($"probs needs {(long)batch * heads * seq * seq} elements.");
        return c;
    }
}
