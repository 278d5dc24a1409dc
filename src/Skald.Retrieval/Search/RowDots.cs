using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Skald.Retrieval.Search;

/// <summary>
/// Inner products of one query with a block of corpus rows, the memory-bound core of single-query exact search: each
/// row is read once, four rows at a time against the same query registers (Vector512 FMA where present, else Vector256), so the loop runs at the
/// speed memory delivers the rows. <see cref="DotsScalar"/> is the scalar twin the tests compare it with.
/// </summary>
internal static class RowDots
{
    /// <summary>
    /// The dots of a stripe of rows (numbered from <paramref name="firstRow"/>) into <paramref name="scores"/>, each
    /// offered to <paramref name="heap"/> (ties: the row's tie key, else the lower row): the scan step exact and IVF
    /// search share.
    /// </summary>
    public static void Offer(ReadOnlySpan<float> q, ReadOnlySpan<float> rows, int dim, int firstRow, Span<float> scores, TopKHeap heap,
        IReadOnlyList<int>? tieKeys)
    {
        Dots(q, rows, dim, scores);
        for (int j = 0; j < scores.Length; j++)
        {
            float v = scores[j];
            if (v < heap.Threshold) continue;
            int row = firstRow + j;
            heap.Add(row, v, tieKeys is null ? -row : tieKeys[row]);
        }
    }

    /// <summary>scores[r] = q · rows[r·dim, (r+1)·dim) for r &lt; scores.Length; rows is row-major [scores.Length × dim].</summary>
    public static void Dots(ReadOnlySpan<float> q, ReadOnlySpan<float> rows, int dim, Span<float> scores)
    {
        int count = scores.Length;
        if (q.Length != dim || rows.Length < (long)count * dim) throw new ArgumentException("query or rows do not match the dimension");
        if (!Vector256.IsHardwareAccelerated || dim < Vector256<float>.Count)
        {
            DotsScalar(q, rows, dim, scores);
            return;
        }
        ref float qr = ref MemoryMarshal.GetReference(q);
        ref float rr = ref MemoryMarshal.GetReference(rows);
        int r = Vector512.IsHardwareAccelerated && dim >= Vector512<float>.Count ? Dots512(ref qr, ref rr, dim, scores) : 0;
        for (; r + 4 <= count; r += 4)
        {
            ref float r0 = ref Unsafe.Add(ref rr, (nint)r * dim);
            ref float r1 = ref Unsafe.Add(ref r0, dim);
            ref float r2 = ref Unsafe.Add(ref r1, dim);
            ref float r3 = ref Unsafe.Add(ref r2, dim);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            int i = 0;
            for (; i + Vector256<float>.Count <= dim; i += Vector256<float>.Count)
            {
                var qv = Vector256.LoadUnsafe(ref qr, (nuint)i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r0, (nuint)i), qv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r1, (nuint)i), qv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r2, (nuint)i), qv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref r3, (nuint)i), qv, a3);
            }
            float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
            for (; i < dim; i++)
            {
                float qi = Unsafe.Add(ref qr, i);
                s0 += Unsafe.Add(ref r0, i) * qi;
                s1 += Unsafe.Add(ref r1, i) * qi;
                s2 += Unsafe.Add(ref r2, i) * qi;
                s3 += Unsafe.Add(ref r3, i) * qi;
            }
            scores[r] = s0;
            scores[r + 1] = s1;
            scores[r + 2] = s2;
            scores[r + 3] = s3;
        }
        for (; r < count; r++) scores[r] = System.Numerics.Tensors.TensorPrimitives.Dot(q, rows.Slice(r * dim, dim));
    }

    /// <summary>
    /// The rows of <see cref="Dots"/> in groups of four on 512-bit registers (half the loads and FMAs of the 256-bit
    /// loop per row); returns how many rows it scored (a multiple of four), the caller scores the rest.
    /// </summary>
    private static int Dots512(ref float qr, ref float rr, int dim, Span<float> scores)
    {
        int count = scores.Length, r = 0;
        for (; r + 4 <= count; r += 4)
        {
            ref float r0 = ref Unsafe.Add(ref rr, (nint)r * dim);
            ref float r1 = ref Unsafe.Add(ref r0, dim);
            ref float r2 = ref Unsafe.Add(ref r1, dim);
            ref float r3 = ref Unsafe.Add(ref r2, dim);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            int i = 0;
            for (; i + Vector512<float>.Count <= dim; i += Vector512<float>.Count)
            {
                var qv = Vector512.LoadUnsafe(ref qr, (nuint)i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r0, (nuint)i), qv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r1, (nuint)i), qv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r2, (nuint)i), qv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref r3, (nuint)i), qv, a3);
            }
            float s0 = Vector512.Sum(a0), s1 = Vector512.Sum(a1), s2 = Vector512.Sum(a2), s3 = Vector512.Sum(a3);
            for (; i < dim; i++)
            {
                float qi = Unsafe.Add(ref qr, i);
                s0 += Unsafe.Add(ref r0, i) * qi;
                s1 += Unsafe.Add(ref r1, i) * qi;
                s2 += Unsafe.Add(ref r2, i) * qi;
                s3 += Unsafe.Add(ref r3, i) * qi;
            }
            scores[r] = s0;
            scores[r + 1] = s1;
            scores[r + 2] = s2;
            scores[r + 3] = s3;
        }
        return r;
    }

    /// <summary>The scalar twin of <see cref="Dots"/>: one multiply-add at a time, in index order.</summary>
    public static void DotsScalar(ReadOnlySpan<float> q, ReadOnlySpan<float> rows, int dim, Span<float> scores)
    {
        for (int r = 0; r < scores.Length; r++)
        {
            var row = rows.Slice(r * dim, dim);
            float s = 0;
            for (int i = 0; i < dim; i++) s += q[i] * row[i];
            scores[r] = s;
        }
    }
}
