using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Kernels;

/// <summary>
/// MaxSim (<see cref="MaxSim"/>: Σᵢ maxₜ qᵢ · dₜ) of a float32 query against a document whose token vectors are stored
/// smaller: as float16 (<see cref="F16"/>, widened exactly) or as int8 codes with one scale per vector. An int8 vector
/// keeps its largest absolute value m (<see cref="QuantizeInt8"/>) and codes cᵢ = round(127 · xᵢ / m) in [−127, 127], so a
/// unit vector's largest value uses the whole range (a per-dimension range, as dense int8 rows have, would need a
/// calibration sample and fixed ranges for rows added later; a per-vector maximum needs neither); a document token scores
/// (m / 127) · Σₖ qₖ cₖ. The document's tokens are widened a tile of rows at a time into a small thread-local buffer and
/// go through the float32 kernel's register tiles (<see cref="MaxSimBlock"/>), so the document is read once and nothing
/// is allocated in the steady state. <see cref="ScoreFloat16Scalar"/> and <see cref="ScoreInt8Scalar"/> are the scalar
/// twins (one fused multiply-add at a time, in index order), whose bits the kernels give.
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
    public static float ScoreFloat16(ReadOnlySpan<float> query, ReadOnlySpan<ushort> document, int dim) => ScoreFloat16On(query, document, dim, MaxSimBlock.Path);

    /// <summary>
    /// MaxSim of <paramref name="query"/> [query tokens × dim] against int8 <paramref name="document"/> codes [tokens × dim]
    /// whose vectors' largest absolute values are <paramref name="maxima"/> [tokens] (<see cref="QuantizeInt8"/>).
    /// </summary>
    public static float ScoreInt8(ReadOnlySpan<float> query, ReadOnlySpan<sbyte> document, ReadOnlySpan<float> maxima, int dim) =>
        ScoreInt8On(query, document, maxima, dim, MaxSimBlock.Path);

    /// <summary><see cref="ScoreFloat16"/> on the given tiles (the scalar twin where this CPU does not run them: <see cref="MaxSimBlock.Runs"/>).</summary>
    internal static float ScoreFloat16On(ReadOnlySpan<float> query, ReadOnlySpan<ushort> document, int dim, ManagedGemmKernel path)
    {
        Check(query.Length, document.Length, dim);
        int dt = document.Length / dim;
        if (dt == 0) return 0f;
        return !MaxSimBlock.Runs(path) ? ScoreFloat16Scalar(query, document, dim) : MaxSimBlock.Score(query, dim, dt, default, document, default, default, path);
    }

    /// <summary><see cref="ScoreInt8"/> on the given tiles (the scalar twin where this CPU does not run them: <see cref="MaxSimBlock.Runs"/>).</summary>
    internal static float ScoreInt8On(ReadOnlySpan<float> query, ReadOnlySpan<sbyte> document, ReadOnlySpan<float> maxima, int dim, ManagedGemmKernel path)
    {
        Check(query.Length, document.Length, dim);
        int dt = document.Length / dim;
        if (maxima.Length != dt) throw new ArgumentException($"{maxima.Length} maxima for {dt} document tokens", nameof(maxima));
        if (dt == 0) return 0f;
        return !MaxSimBlock.Runs(path) ? ScoreInt8Scalar(query, document, maxima, dim) : MaxSimBlock.Score(query, dim, dt, default, default, document, maxima, path);
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
                for (int k = 0; k < dim; k++) s = MathF.FusedMultiplyAdd(query[i * dim + k], F16.ToSingle(document[t * dim + k]), s);
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
                for (int k = 0; k < dim; k++) s = MathF.FusedMultiplyAdd(query[i * dim + k], document[t * dim + k], s);
                s *= maxima[t] / Int8Levels;
                if (s > best) best = s;
            }
            sum += best;
        }
        return sum;
    }

    /// <summary>int8 codes → float32 (exact), 16 at a time on AVX2.</summary>
    internal static void Widen(ReadOnlySpan<sbyte> codes, Span<float> values)
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

    private static void Check(int query, int document, int dim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dim, MaxDimension);
        if (query % dim != 0 || document % dim != 0)
            throw new ArgumentException($"token vectors of width {dim} do not fill the query ({query} values) or document ({document} values)");
    }
}
