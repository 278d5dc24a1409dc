using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Causal attention of a decoding step's new queries against a key/value cache (transformers' generate with a
/// DynamicCache: the keys and values of earlier steps are kept, only the new tokens are projected).
/// q, output: [B·Tn, H·D] (the new tokens, row b·Tn + j); keys, values: [B, Hkv, Capacity, D], of which columns
/// 0..Length−1 are filled (the new tokens are the last Tn of them); keyBias [B, Capacity] (0 keeps a key,
/// float.MinValue removes a padding token). New token j of row b sits at cache column a = Length − Tn + j and attends to
/// the columns s ≤ a (and a − s &lt; window with a sliding window): z = scale·q·k, soft-capped c·tanh(z/c), + keyBias,
/// softmax, then Σ p·v. Inference only (no probabilities are kept). Query head h reads key/value head h / (H / Hkv).
/// </summary>
public static unsafe partial class CachedAttention
{
    /// <summary>
    /// Forward (SIMD dot products and axpys, parallel over (row, head)); several new tokens a row on a CPU with
    /// AVX-512 (a later chunk of a chunked prefill) go through the tiled products of <see cref="ForwardTiled"/> instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        ReadOnlySpan<float> keyBias, Span<float> output, KvCacheLayout l, AttentionScoring sc)
    {
        Check(q.Length, keys.Length, values.Length, keyBias.Length, output.Length, l, sc);
        if (l.Batch == 0 || l.NewTokens == 0) return;
        if (l.NewTokens > 1 && UsesTiled)
        {
            ForwardTiled(q, keys, values, keyBias, output, l, sc, vectorized: true);
            return;
        }
        fixed (float* pq = q, pk = keys, pv = values, pb = keyBias, po = output)
        {
            Parallelism.For(l.Batch * l.Heads, Math.Max(1, 2048 / Math.Max(1, l.Length)),
                new Args((nint)pq, (nint)pk, (nint)pv, (nint)pb, (nint)po, l, sc, Vectorized: true),
                static (in Args a, int w0, int w1) => DecodeRange(a, w0, w1));
        }
    }

    // (row, head) work items [w0, w1) of Forward: each new token's scores against the row's cached keys, then P·V.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeRange(in Args a, int w0, int w1)
    {
        var l = a.Layout;
        var sc = a.Scoring;
        float[] scores = ArrayPool<float>.Shared.Rent(l.Length);
        int d = l.HeadDim, width = l.Heads * d;
        for (int w = w0; w < w1; w++)
        {
            int b = w / l.Heads, h = w % l.Heads;
            long kv = l.Offset(b, h / l.Group, 0);
            var k = new ReadOnlySpan<float>((float*)a.K + kv, l.Length * d);
            var v = new ReadOnlySpan<float>((float*)a.V + kv, l.Length * d);
            var bias = new ReadOnlySpan<float>((float*)a.Bias + (long)b * l.Capacity, l.Length);
            for (int j = 0; j < l.NewTokens; j++)
            {
                long row = ((long)b * l.NewTokens + j) * width + (long)h * d;
                var qr = new ReadOnlySpan<float>((float*)a.Q + row, d);
                var o = new Span<float>((float*)a.Output + row, d);
                var (lo, hi) = l.KeyRange(j, sc);
                var z = scores.AsSpan(lo, hi - lo);
                for (int s = lo; s < hi; s++) z[s - lo] = TensorPrimitives.Dot(qr, k.Slice(s * d, d)) * sc.Scale;
                if (sc.SoftCap > 0f)
                {
                    TensorPrimitives.Divide(z, sc.SoftCap, z);
                    TensorPrimitives.Tanh(z, z);
                    TensorPrimitives.Multiply(z, sc.SoftCap, z);
                }
                TensorPrimitives.Add(z, bias[lo..hi], z);
                TensorPrimitives.SoftMax(z, z);
                o.Clear();
                for (int s = lo; s < hi; s++) TensorPrimitives.MultiplyAdd(v.Slice(s * d, d), z[s - lo], o, o);
            }
        }
        ArrayPool<float>.Shared.Return(scores);
    }

    // A kernel's arguments for its static parallel body (no closure per call): the pinned spans, layout and scoring.
    private readonly record struct Args(nint Q, nint K, nint V, nint Bias, nint Output, KvCacheLayout Layout,
        AttentionScoring Scoring, bool Vectorized);

    /// <summary>Scalar double-precision twin of <see cref="Forward"/>.</summary>
    public static void ForwardReference(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        ReadOnlySpan<float> keyBias, Span<float> output, KvCacheLayout l, AttentionScoring sc)
    {
        Check(q.Length, keys.Length, values.Length, keyBias.Length, output.Length, l, sc);
        int d = l.HeadDim, width = l.Heads * d;
        var z = new double[l.Length];
        for (int b = 0; b < l.Batch; b++)
        for (int h = 0; h < l.Heads; h++)
        for (int j = 0; j < l.NewTokens; j++)
        {
            long row = ((long)b * l.NewTokens + j) * width + (long)h * d;
            var (lo, hi) = l.KeyRange(j, sc);
            double max = double.NegativeInfinity;
            for (int s = lo; s < hi; s++)
            {
                long ko = l.Offset(b, h / l.Group, s);
                double dot = 0;
                for (int i = 0; i < d; i++) dot += (double)q[(int)(row + i)] * keys[(int)(ko + i)];
                double x = dot * sc.Scale;
                if (sc.SoftCap > 0f) x = sc.SoftCap * Math.Tanh(x / sc.SoftCap);
                z[s] = x + keyBias[b * l.Capacity + s];
                max = Math.Max(max, z[s]);
            }
            double sum = 0;
            for (int s = lo; s < hi; s++) sum += z[s] = Math.Exp(z[s] - max);
            for (int i = 0; i < d; i++)
            {
                double acc = 0;
                for (int s = lo; s < hi; s++) acc += z[s] / sum * values[(int)(l.Offset(b, h / l.Group, s) + i)];
                output[(int)(row + i)] = (float)acc;
            }
        }
    }

    private static void Check(int q, int keys, int values, int bias, int output, KvCacheLayout l, AttentionScoring sc)
    {
        if (!sc.Causal) throw new ArgumentException("cached attention is causal (a decoder generating left to right).");
        if (l.Heads <= 0 || l.KvHeads <= 0 || l.Heads % l.KvHeads != 0 || l.HeadDim <= 0)
            throw new ArgumentException($"heads {l.Heads} must be a positive multiple of key/value heads {l.KvHeads}.");
        if (l.NewTokens < 0 || l.NewTokens > l.Length || l.Length > l.Capacity)
            throw new ArgumentException($"{l.NewTokens} new tokens, {l.Length} cached, capacity {l.Capacity}: inconsistent.");
        long rows = (long)l.Batch * l.NewTokens * l.Heads * l.HeadDim;
        long cache = (long)l.Batch * l.KvHeads * l.Capacity * l.HeadDim;
        if (q < rows || output < rows) throw new ArgumentException($"q and output need {rows} elements.");
        if (keys < cache || values < cache) throw new ArgumentException($"keys and values need {cache} elements.");
        if (bias < (long)l.Batch * l.Capacity) throw new ArgumentException($"keyBias needs {l.Batch * l.Capacity} elements.");
    }
}
