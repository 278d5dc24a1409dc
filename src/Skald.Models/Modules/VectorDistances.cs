using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Skald.Models.Modules;

/// <summary>
/// The Manhattan (L1) distance Σ |a − b| of two float vectors, vectorised: 16 lanes (Vector512) or 8 (Vector256) at a
/// time into two accumulators, their lanes summed, then the scalar tail; <see cref="ManhattanScalar"/> is its
/// one-lane twin (equal within float summation rounding). <see cref="Similarities.Compute(SimilarityFunction, ReadOnlySpan{float}, ReadOnlySpan{float})"/>
/// and with it every Manhattan scan of Skald.Retrieval (exact, IVF, HNSW, PQ rescoring) reads this one definition;
/// the Euclidean distance is <c>TensorPrimitives.Distance</c>, already vectorised.
/// </summary>
public static class VectorDistances
{
    /// <summary>Σ |a[i] − b[i]| over vectors of equal length (an <see cref="ArgumentException"/> otherwise).</summary>
    public static float Manhattan(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors differ in length ({a.Length} and {b.Length})");
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count)
        {
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 2 * Vector512<float>.Count; i += 2 * Vector512<float>.Count)
            {
                acc0 += Vector512.Abs(Vector512.LoadUnsafe(ref pa, (nuint)i) - Vector512.LoadUnsafe(ref pb, (nuint)i));
                acc1 += Vector512.Abs(Vector512.LoadUnsafe(ref pa, (nuint)(i + Vector512<float>.Count)) - Vector512.LoadUnsafe(ref pb, (nuint)(i + Vector512<float>.Count)));
            }
            if (i <= n - Vector512<float>.Count)
            {
                acc0 += Vector512.Abs(Vector512.LoadUnsafe(ref pa, (nuint)i) - Vector512.LoadUnsafe(ref pb, (nuint)i));
                i += Vector512<float>.Count;
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
            {
                acc0 += Vector256.Abs(Vector256.LoadUnsafe(ref pa, (nuint)i) - Vector256.LoadUnsafe(ref pb, (nuint)i));
                acc1 += Vector256.Abs(Vector256.LoadUnsafe(ref pa, (nuint)(i + Vector256<float>.Count)) - Vector256.LoadUnsafe(ref pb, (nuint)(i + Vector256<float>.Count)));
            }
            if (i <= n - Vector256<float>.Count)
            {
                acc0 += Vector256.Abs(Vector256.LoadUnsafe(ref pa, (nuint)i) - Vector256.LoadUnsafe(ref pb, (nuint)i));
                i += Vector256<float>.Count;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++) sum += MathF.Abs(Unsafe.Add(ref pa, i) - Unsafe.Add(ref pb, i));
        return sum;
    }

    /// <summary>The scalar twin of <see cref="Manhattan"/>: one running float sum, element by element.</summary>
    internal static float ManhattanScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors differ in length ({a.Length} and {b.Length})");
        float sum = 0f;
        for (int i = 0; i < a.Length; i++) sum += MathF.Abs(a[i] - b[i]);
        return sum;
    }
}
