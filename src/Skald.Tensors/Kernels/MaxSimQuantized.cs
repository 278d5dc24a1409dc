using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// MaxSim (<see cref="MaxSim"/>: Σᵢ maxₜ qᵢ · dₜ) of a float32 query against a document whose token vectors are stored
/// smaller: as float16 (<see cref="F16"/>, widened exactly) or as int8 codes with one scale per vector. An int8 vector
/// keeps its largest absolute value m (<see cref="QuantizeInt8"/>) and codes cᵢ = round(127 · xᵢ / m) in [−127, 127], so a
/// unit vector's largest value uses the whole range (a per-dimension range, as dense int8 rows have, would need a
/// calibration sample and fixed ranges for rows added later; a per-vector maximum needs neither); a document token scores
/// (m / 127) · Σₖ qₖ cₖ. Each document token is widened once into a stack buffer and met by four query tokens at a time
/// (SIMD multiply-adds sharing its loads, the four sums reduced together), so the document is read once and nothing
/// is allocated. <see cref="ScoreFloat16Scalar"/> and <see cref="ScoreInt8Scalar"/> are the scalar twins (one multiply-add
/// at a time, in index order).
/// </summary>
/// <remarks>
/// ColBERTv2 compresses further (https://github.com/stanford-futuredata/ColBERT/blob/1f0ece2671847e3789d948fd50dd6d623bc0fb13/colbert/indexing/codecs/residual.py:
/// each vector as its nearest centroid's id plus the residual bucketed to 1–2 bits a dimension, decoded as centroid plus
/// bucket weights and normalised again); the codes here are plain per-vector int8 with no centroids, so nothing is
/// trained and a row decodes alone.
/// </remarks>
public static class MaxSimQuantized
{
    /// <summary>The largest int8 code: a vector's largest absolute value is coded ±127 (−128 is never used).</summary>
    public const float Int8Levels = 127f;

    /// <summary>The widest token vector the kernels take (their stack buffer).</summary>
    public const int MaxDimension = 4096;

    private const int StackQueryTokens = 1024; // best-so-far values kept on the stack; longer queries rent them

    /// <summary>
    /// Codes <paramref name="vector"/> as int8 (<paramref name="codes"/>, same length): returns m, its largest absolute
    /// value, and writes round(127 · xᵢ / m) (ties to even; all zeros when m is 0). Decoding with
    /// <see cref="DequantizeInt8"/> and coding again gives the same codes and m. A value that is not finite is an
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public static float QuantizeInt8(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        if (codes.Length != vector.Length) throw new ArgumentException("codes must be as long as the vector", nameof(codes));
        float max = 0f;
        foreach (float x in vector)
        {
            if (!float.IsFinite(x)) throw new ArgumentException($"a token vector holds {x}; int8 codes need finite values", nameof(vector));
            max = MathF.Max(max, MathF.Abs(x));
        }
        for (int i = 0; i < vector.Length; i++)
            codes[i] = max == 0f ? (sbyte)0 : (sbyte)MathF.Round(vector[i] / max * Int8Levels, MidpointRounding.ToEven);
        return max;
    }

    /// <summary>The values int8 <paramref name="codes"/> with largest absolute value <paramref name="max"/> stand for: (cᵢ / 127) · m (so ±127 gives ±m exactly).</summary>
    public static void DequantizeInt8(ReadOnlySpan<sbyte> codes, float max, Span<float> vector)
    {
        if (codes.Length != vector.Length) throw new ArgumentException("the vector must be as long as the codes", nameof(vector));
        for (int i = 0; i < codes.Length; i++) vector[i] = codes[i] / Int8Levels * max;
    }

    /// <summary>MaxSim of <paramref name="query"/> [query tokens × dim] against float16 <paramref name="document"/> [tokens × dim] (IEEE binary16 bits).</summary>
    public static float ScoreFloat16(ReadOnlySpan<float> query, ReadOnlySpan<ushort> document, int dim)
    {
        Check(query.Length, document.Length, dim);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (dt == 0) return 0f;
        Span<float> token = stackalloc float[dim];
        float[]? rented = qt > StackQueryTokens ? System.Buffers.ArrayPool<float>.Shared.Rent(qt) : null;
        Span<float> best = rented is null ? stackalloc float[qt] : rented.AsSpan(0, qt);
        best.Fill(float.NegativeInfinity);
        for (int t = 0; t < dt; t++)
        {
            F16.ToSingle(document.Slice(t * dim, dim), token);
            Meet(query, token, 1f, best);
        }
        return Sum(best, rented);
    }

    /// <summary>
    /// MaxSim of <paramref name="query"/> [query tokens × dim] against int8 <paramref name="document"/> codes [tokens × dim]
    /// whose vectors' largest absolute values are <paramref name="maxima"/> [tokens] (<see cref="QuantizeInt8"/>).
    /// </summary>
    public static float ScoreInt8(ReadOnlySpan<float> query, ReadOnlySpan<sbyte> document, ReadOnlySpan<float> maxima, int dim)
    {
        Check(query.Length, document.Length, dim);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (maxima.Length != dt) throw new ArgumentException($"{maxima.Length} maxima for {dt} document tokens", nameof(maxima));
        if (dt == 0) return 0f;
        Span<float> token = stackalloc float[dim];
        float[]? rented = qt > StackQueryTokens ? System.Buffers.ArrayPool<float>.Shared.Rent(qt) : null;
        Span<float> best = rented is null ? stackalloc float[qt] : rented.AsSpan(0, qt);
        best.Fill(float.NegativeInfinity);
        for (int t = 0; t < dt; t++)
        {
            Widen(document.Slice(t * dim, dim), token);
            Meet(query, token, maxima[t] / Int8Levels, best);
        }
        return Sum(best, rented);
    }

    /// <summary>
    /// The same blocked loop over float32 document rows (no widening): what <see cref="MaxSim.Score"/>'s one dot per
    /// pair of tokens would become with the document read once; equal to it up to float32 rounding (its scalar twin is
    /// <see cref="MaxSim.ScoreScalar"/>). Not yet the index's float32 scan, which keeps <see cref="MaxSim.Score"/>; bench/maxsim times both.
    /// </summary>
    public static float ScoreFloat32(ReadOnlySpan<float> query, ReadOnlySpan<float> document, int dim)
    {
        Check(query.Length, document.Length, dim);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (dt == 0) return 0f;
        float[]? rented = qt > StackQueryTokens ? System.Buffers.ArrayPool<float>.Shared.Rent(qt) : null;
        Span<float> best = rented is null ? stackalloc float[qt] : rented.AsSpan(0, qt);
        best.Fill(float.NegativeInfinity);
        for (int t = 0; t < dt; t++) Meet(query, document.Slice(t * dim, dim), 1f, best);
        return Sum(best, rented);
    }

    /// <summary>The scalar twin of <see cref="ScoreFloat16"/>.</summary>
    public static float ScoreFloat16Scalar(ReadOnlySpan<float> query, ReadOnlySpan<ushort> document, int dim)
    {
        Check(query.Length, document.Length, dim);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (dt == 0) return 0f;
        float sum = 0f;
        for (int i = 0; i < qt; i++)
        {
            float best = float.NegativeInfinity;
            for (int t = 0; t < dt; t++)
            {
                float s = 0f;
                for (int k = 0; k < dim; k++) s += query[i * dim + k] * F16.ToSingle(document[t * dim + k]);
                if (s > best) best = s;
            }
            sum += best;
        }
        return sum;
    }

    /// <summary>The scalar twin of <see cref="ScoreInt8"/>.</summary>
    public static float ScoreInt8Scalar(ReadOnlySpan<float> query, ReadOnlySpan<sbyte> document, ReadOnlySpan<float> maxima, int dim)
    {
        Check(query.Length, document.Length, dim);
        int qt = query.Length / dim, dt = document.Length / dim;
        if (maxima.Length != dt) throw new ArgumentException($"{maxima.Length} maxima for {dt} document tokens", nameof(maxima));
        if (dt == 0) return 0f;
        float sum = 0f;
        for (int i = 0; i < qt; i++)
        {
            float best = float.NegativeInfinity;
            for (int t = 0; t < dt; t++)
            {
                float s = 0f;
                for (int k = 0; k < dim; k++) s += query[i * dim + k] * document[t * dim + k];
                s *= maxima[t] / Int8Levels;
                if (s > best) best = s;
            }
            sum += best;
        }
        return sum;
    }

    /// <summary>best[i] = max(best[i], factor · qᵢ · token) for every query token i: four at a time, sharing the token's loads.</summary>
    private static void Meet(ReadOnlySpan<float> query, ReadOnlySpan<float> token, float factor, Span<float> best)
    {
        int dim = token.Length, qt = best.Length, i = 0;
        ref float d = ref MemoryMarshal.GetReference(token);
        ref float q = ref MemoryMarshal.GetReference(query);
        if (Avx.IsSupported && dim >= 8)
        {
            var f = Vector128.Create(factor);
            for (; i + 4 <= qt; i += 4)
            {
                ref float q0 = ref Unsafe.Add(ref q, i * dim);
                ref float q1 = ref Unsafe.Add(ref q0, dim);
                ref float q2 = ref Unsafe.Add(ref q1, dim);
                ref float q3 = ref Unsafe.Add(ref q2, dim);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                int k = 0;
                for (; k + 8 <= dim; k += 8)
                {
                    var dk = Vector256.LoadUnsafe(ref d, (nuint)k);
                    a0 = MultiplyAdd(Vector256.LoadUnsafe(ref q0, (nuint)k), dk, a0);
                    a1 = MultiplyAdd(Vector256.LoadUnsafe(ref q1, (nuint)k), dk, a1);
                    a2 = MultiplyAdd(Vector256.LoadUnsafe(ref q2, (nuint)k), dk, a2);
                    a3 = MultiplyAdd(Vector256.LoadUnsafe(ref q3, (nuint)k), dk, a3);
                }
                var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3)); // [s0 s1 s2 s3 | s0' s1' s2' s3']
                var sums = h.GetLower() + h.GetUpper();
                if (k < dim)
                {
                    float r0 = 0f, r1 = 0f, r2 = 0f, r3 = 0f;
                    for (; k < dim; k++)
                    {
                        float dk = Unsafe.Add(ref d, k);
                        r0 += Unsafe.Add(ref q0, k) * dk;
                        r1 += Unsafe.Add(ref q1, k) * dk;
                        r2 += Unsafe.Add(ref q2, k) * dk;
                        r3 += Unsafe.Add(ref q3, k) * dk;
                    }
                    sums += Vector128.Create(r0, r1, r2, r3);
                }
                ref float b = ref Unsafe.Add(ref MemoryMarshal.GetReference(best), i);
                Vector128.Max(Vector128.LoadUnsafe(ref b), sums * f).StoreUnsafe(ref b);
            }
        }
        for (; i < qt; i++)
        {
            float s = System.Numerics.Tensors.TensorPrimitives.Dot(query.Slice(i * dim, dim), token) * factor;
            if (s > best[i]) best[i] = s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;

    /// <summary>int8 codes → float32 (exact), 8 at a time on AVX2.</summary>
    private static void Widen(ReadOnlySpan<sbyte> codes, Span<float> values)
    {
        int n = codes.Length, k = 0;
        ref sbyte c = ref MemoryMarshal.GetReference(codes);
        ref float v = ref MemoryMarshal.GetReference(values);
        if (Avx2.IsSupported)
        {
            for (; k + 16 <= n; k += 16)
            {
                var b = Vector128.LoadUnsafe(ref c, (nuint)k);
                Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(b)).StoreUnsafe(ref v, (nuint)k);
                Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(b.AsByte(), 8).AsSByte())).StoreUnsafe(ref v, (nuint)(k + 8));
            }
        }
        for (; k < n; k++) Unsafe.Add(ref v, k) = Unsafe.Add(ref c, k);
    }

    private static float Sum(Span<float> best, float[]? rented)
    {
        float sum = 0f;
        foreach (float b in best) sum += b;
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        return sum;
    }

    private static void Check(int query, int document, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dim, MaxDimension);
        if (query % dim != 0 || document % dim != 0)
            throw new ArgumentException($"token vectors of width {dim} do not fill the query ({query} values) or document ({document} values)");
    }
}
