using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Skald.Models.Modules;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// A float query's negated Euclidean or Manhattan distance to an int8 / uint8 row's values without reading the row
/// back into a buffer first: each level's middle (<see cref="EmbeddingQuantizer.Middle"/>) is computed in the lanes —
/// uint8 min(b + ½, 255), int8 clamp(L + 128 + ½·sign L, 0, 255), the same floats as the table — and the value
/// start + middle·step (a multiply then an add, as <see cref="EmbeddingQuantizer.Dequantize"/> rounds it) is compared
/// with the query in the same loop. Manhattan sums as <see cref="VectorDistances.Manhattan"/> does (same lanes,
/// accumulators and tail), so its score equals <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// of the dequantized row bit for bit on x64; the Euclidean square sums by fused multiply-adds, within float summation
/// rounding of <c>TensorPrimitives.Distance</c>. <see cref="SumScalar"/> is the one-lane twin.
/// </summary>
internal static class LevelDistance
{
    /// <summary>The negated <paramref name="similarity"/> distance of <paramref name="query"/> to row <paramref name="row"/>'s values.</summary>
    public static float Score(SimilarityFunction similarity, ReadOnlySpan<float> query, QuantizedEmbeddings corpus, int row)
    {
        if (query.Length != corpus.Dimension) throw new ArgumentException($"vectors differ in length ({query.Length} and {corpus.Dimension})");
        var ranges = corpus.Ranges!;
        bool squared = similarity == SimilarityFunction.Euclidean;
        float sum = Sum(query, corpus.Row(row), corpus.Precision == EmbeddingPrecision.Int8, ranges.Starts, ranges.Steps, squared);
        return squared ? -MathF.Sqrt(sum) : -sum;
    }

    /// <summary>
    /// Σ |q − v| (or Σ (q − v)² when <paramref name="squared"/>) over v = start + middle(level)·step, vectorised; all
    /// spans of the query's length.
    /// </summary>
    internal static float Sum(ReadOnlySpan<float> query, ReadOnlySpan<byte> levels, bool signed, ReadOnlySpan<float> starts,
        ReadOnlySpan<float> steps, bool squared)
    {
        int n = query.Length, i = 0;
        if (levels.Length < n || starts.Length < n || steps.Length < n) throw new ArgumentException($"a query of {n} values against a row of {levels.Length}");
        ref float q = ref MemoryMarshal.GetReference(query);
        ref byte l = ref MemoryMarshal.GetReference(levels);
        ref float s0 = ref MemoryMarshal.GetReference(starts);
        ref float st = ref MemoryMarshal.GetReference(steps);
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && n >= 16)
        {
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                acc0 = Add(acc0, Diff512(ref q, ref l, ref s0, ref st, i, signed), squared);
                acc1 = Add(acc1, Diff512(ref q, ref l, ref s0, ref st, i + 16, signed), squared);
            }
            if (i <= n - 16)
            {
                acc0 = Add(acc0, Diff512(ref q, ref l, ref s0, ref st, i, signed), squared);
                i += 16;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && n >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                acc0 = Add(acc0, Diff256(ref q, ref l, ref s0, ref st, i, signed), squared);
                acc1 = Add(acc1, Diff256(ref q, ref l, ref s0, ref st, i + 8, signed), squared);
            }
            if (i <= n - 8)
            {
                acc0 = Add(acc0, Diff256(ref q, ref l, ref s0, ref st, i, signed), squared);
                i += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref q, i) - Value(Unsafe.Add(ref l, i), signed, Unsafe.Add(ref s0, i), Unsafe.Add(ref st, i));
            sum = squared ? MathF.FusedMultiplyAdd(d, d, sum) : sum + MathF.Abs(d);
        }
        return sum;
    }

    /// <summary>The scalar twin of <see cref="Sum"/>: one running float sum, element by element.</summary>
    internal static float SumScalar(ReadOnlySpan<float> query, ReadOnlySpan<byte> levels, bool signed, ReadOnlySpan<float> starts,
        ReadOnlySpan<float> steps, bool squared)
    {
        float sum = 0f;
        for (int i = 0; i < query.Length; i++)
        {
            float d = query[i] - Value(levels[i], signed, starts[i], steps[i]);
            sum = squared ? MathF.FusedMultiplyAdd(d, d, sum) : sum + MathF.Abs(d);
        }
        return sum;
    }

    private static float Value(byte level, bool signed, float start, float step) =>
        start + EmbeddingQuantizer.Middle(signed ? (sbyte)level : level, signed) * step;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Add(Vector512<float> acc, Vector512<float> d, bool squared) =>
        squared ? Vector512.FusedMultiplyAdd(d, d, acc) : acc + Vector512.Abs(d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Add(Vector256<float> acc, Vector256<float> d, bool squared) =>
        squared ? Vector256.FusedMultiplyAdd(d, d, acc) : acc + Vector256.Abs(d);

    // q − (start + middle·step) for 16 values from i.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Diff512(ref float q, ref byte l, ref float s0, ref float st, int i, bool signed)
    {
        var bytes = Vector128.LoadUnsafe(ref l, (nuint)i);
        Vector512<float> m;
        if (signed)
        {
            var f = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(bytes.AsSByte()));
            var half = Vector512.ConditionalSelect(Vector512.GreaterThan(f, Vector512<float>.Zero), Vector512.Create(0.5f),
                Vector512.ConditionalSelect(Vector512.LessThan(f, Vector512<float>.Zero), Vector512.Create(-0.5f), Vector512<float>.Zero));
            m = Vector512.Min(Vector512.Max(f + Vector512.Create(128f) + half, Vector512<float>.Zero), Vector512.Create(255f));
        }
        else
        {
            m = Vector512.Min(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(bytes)) + Vector512.Create(0.5f), Vector512.Create(255f));
        }
        var v = Vector512.LoadUnsafe(ref s0, (nuint)i) + m * Vector512.LoadUnsafe(ref st, (nuint)i);
        return Vector512.LoadUnsafe(ref q, (nuint)i) - v;
    }

    // q − (start + middle·step) for 8 values from i.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Diff256(ref float q, ref byte l, ref float s0, ref float st, int i, bool signed)
    {
        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref l, i))).AsByte();
        Vector256<float> m;
        if (signed)
        {
            var f = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes.AsSByte()));
            var half = Vector256.ConditionalSelect(Vector256.GreaterThan(f, Vector256<float>.Zero), Vector256.Create(0.5f),
                Vector256.ConditionalSelect(Vector256.LessThan(f, Vector256<float>.Zero), Vector256.Create(-0.5f), Vector256<float>.Zero));
            m = Vector256.Min(Vector256.Max(f + Vector256.Create(128f) + half, Vector256<float>.Zero), Vector256.Create(255f));
        }
        else
        {
            m = Vector256.Min(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes)) + Vector256.Create(0.5f), Vector256.Create(255f));
        }
        var v = Vector256.LoadUnsafe(ref s0, (nuint)i) + m * Vector256.LoadUnsafe(ref st, (nuint)i);
        return Vector256.LoadUnsafe(ref q, (nuint)i) - v;
    }
}
