using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// The inner loop every MaxSim kernel shares (<see cref="MaxSim.Score"/> over float32 rows, <see cref="MaxSimQuantized"/>
/// over float16 / int8 rows widened one token at a time): each document token is met by four query tokens at a time,
/// SIMD multiply-adds sharing the token's loads and the four sums reduced together, so a document is read once and
/// every query token keeps its best-so-far score in <c>best</c> (on the stack up to <see cref="StackQueryTokens"/>
/// query tokens, rented beyond). Nothing is allocated.
/// </summary>
internal static class MaxSimBlock
{
    /// <summary>Query tokens whose best-so-far values the kernels keep on the stack; longer queries rent them.</summary>
    public const int StackQueryTokens = 1024;

    /// <summary>best[i] = max(best[i], factor · qᵢ · token) for every query token i: four at a time, sharing the token's loads.</summary>
    public static void Meet(ReadOnlySpan<float> query, ReadOnlySpan<float> token, float factor, Span<float> best)
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

    public static float Sum(Span<float> best, float[]? rented)
    {
        float sum = 0f;
        foreach (float b in best) sum += b;
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        return sum;
    }
}
