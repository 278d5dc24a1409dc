using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Float SIMD math shared by the kernels, plus a pinned, parallel element-wise driver. The erf is piecewise polynomial in
/// float (<see cref="ErfTable"/>: 16 quintics over |x| in [0, 4), each lane's coefficients picked by a permute): within
/// 6e-8 of erf (absolute; 1.6e-7 relative), and the vector paths equal the scalar <see cref="Erf(float)"/> bit for bit
/// (the same float operations, FMAs included).
/// </summary>
internal static unsafe class VectorMath
{
    /// <summary>Elements per thread below which element-wise kernels stay on the calling thread.</summary>
    public const int ElementsPerThread = 1 << 15;

    /// <summary>
    /// The scalar twin of the vector erfs: s = min(4|x|, 16), i = min(⌊s⌋, 15), t = s − i − min(i, 1/2), Horner over
    /// piece i's coefficients, then x's sign (NaN stays NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        float s = MathF.Min(MathF.Abs(x) * 4f, 16f);
        float fi = MathF.Min(MathF.Floor(s), 15f);
        float t = (s - fi) - MathF.Min(fi, 0.5f);
        int i = (int)fi & 15;
        float p = MathF.FusedMultiplyAdd(ErfTable.C5[i], t, ErfTable.C4[i]);
        p = MathF.FusedMultiplyAdd(p, t, ErfTable.C3[i]);
        p = MathF.FusedMultiplyAdd(p, t, ErfTable.C2[i]);
        p = MathF.FusedMultiplyAdd(p, t, ErfTable.C1[i]);
        p = MathF.FusedMultiplyAdd(p, t, ErfTable.C0[i]);
        return MathF.CopySign(p, x);
    }

    /// <summary>Float erf on 16 lanes (AVX-512F: vpermps picks each lane's coefficients); equals <see cref="Erf(float)"/> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x)
    {
        if (!Avx512F.IsSupported)
        {
            var (lo, hi) = (x.GetLower(), x.GetUpper());
            return Vector512.Create(Erf(lo), Erf(hi));
        }
        var sign = Vector512.Create(-0f);
        // vminps returns its second operand when either is NaN: constants first so that a NaN lane stays NaN.
        var s = Avx512F.Min(Vector512.Create(16f), Vector512.AndNot(x, sign) * Vector512.Create(4f));
        var fi = Avx512F.Min(Vector512.Create(15f), Vector512.Floor(s));
        var t = (s - fi) - Avx512F.Min(Vector512.Create(0.5f), fi);
        var i = Avx512F.ConvertToVector512Int32WithTruncation(fi);
        var p = Vector512.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Column(ErfTable.C5), i), t, Avx512F.PermuteVar16x32(Column(ErfTable.C4), i));
        p = Vector512.FusedMultiplyAdd(p, t, Avx512F.PermuteVar16x32(Column(ErfTable.C3), i));
        p = Vector512.FusedMultiplyAdd(p, t, Avx512F.PermuteVar16x32(Column(ErfTable.C2), i));
        p = Vector512.FusedMultiplyAdd(p, t, Avx512F.PermuteVar16x32(Column(ErfTable.C1), i));
        p = Vector512.FusedMultiplyAdd(p, t, Avx512F.PermuteVar16x32(Column(ErfTable.C0), i));
        return p | (x & sign);
    }

    /// <summary>
    /// Float erf on 8 lanes (AVX2: each 16-entry column is two vpermps and a blend); equals <see cref="Erf(float)"/> per
    /// lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        if (!Avx2.IsSupported)
        {
            var r = Vector256<float>.Zero;
            for (int k = 0; k < Vector256<float>.Count; k++) r = r.WithElement(k, Erf(x.GetElement(k)));
            return r;
        }
        var sign = Vector256.Create(-0f);
        var s = Avx.Min(Vector256.Create(16f), Vector256.AndNot(x, sign) * Vector256.Create(4f));
        var fi = Avx.Min(Vector256.Create(15f), Vector256.Floor(s));
        var t = (s - fi) - Avx.Min(Vector256.Create(0.5f), fi);
        var i = Avx.ConvertToVector256Int32WithTruncation(fi);
        var upper = Avx2.CompareGreaterThan(i, Vector256.Create(7)).AsSingle();
        var p = Vector256.FusedMultiplyAdd(Pick(ErfTable.C5, i, upper), t, Pick(ErfTable.C4, i, upper));
        p = Vector256.FusedMultiplyAdd(p, t, Pick(ErfTable.C3, i, upper));
        p = Vector256.FusedMultiplyAdd(p, t, Pick(ErfTable.C2, i, upper));
        p = Vector256.FusedMultiplyAdd(p, t, Pick(ErfTable.C1, i, upper));
        p = Vector256.FusedMultiplyAdd(p, t, Pick(ErfTable.C0, i, upper));
        return p | (x & sign);
    }

    // Entry i of a 16-entry column per lane: vpermps reads the low 3 bits of i in each half, the blend takes the upper
    // half's where i > 7.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Pick(ReadOnlySpan<float> column, Vector256<int> i, Vector256<float> upper)
    {
        ref float c = ref MemoryMarshal.GetReference(column);
        return Avx.BlendVariable(Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref c), i),
            Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref c, 8), i), upper);
    }

    // A 16-entry column of the table as one vector (a load from the assembly's constant data: no static base).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Column(ReadOnlySpan<float> column) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(column));

    /// <summary>Runs kernel(x, y, count) over [0, length) in parallel chunks (x and y may alias).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Map(ReadOnlySpan<float> x, Span<float> y, delegate*<float*, float*, int, void> kernel)
    {
        if (y.Length < x.Length) throw new ArgumentException("Destination is shorter than the input.", nameof(y));
        int n = x.Length;
        if (n == 0) return;
        fixed (float* px = x, py = y)
        {
            if (n < 2 * ElementsPerThread || Parallelism.MaxThreads == 1)
            {
                kernel(px, py, n);
                return;
            }
            Parallelism.ForAligned(n, ElementsPerThread, 64, ((nint)px, (nint)py, (nint)kernel),
                static (in (nint X, nint Y, nint Kernel) a, int s, int e) =>
                    ((delegate*<float*, float*, int, void>)a.Kernel)((float*)a.X + s, (float*)a.Y + s, e - s));
        }
    }

    /// <summary>Runs kernel(x, dy, dx, count) over [0, length) in parallel chunks (dy and dx may alias).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Map(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx,
        delegate*<float*, float*, float*, int, void> kernel)
    {
        if (dy.Length < x.Length || dx.Length < x.Length)
            throw new ArgumentException("Gradient spans are shorter than the input.", nameof(dx));
        int n = x.Length;
        if (n == 0) return;
        fixed (float* px = x, pdy = dy, pdx = dx)
        {
            if (n < 2 * ElementsPerThread || Parallelism.MaxThreads == 1)
            {
                kernel(px, pdy, pdx, n);
                return;
            }
            Parallelism.ForAligned(n, ElementsPerThread, 64, ((nint)px, (nint)pdy, (nint)pdx, (nint)kernel),
                static (in (nint X, nint Dy, nint Dx, nint Kernel) a, int s, int e) =>
                    ((delegate*<float*, float*, float*, int, void>)a.Kernel)((float*)a.X + s, (float*)a.Dy + s, (float*)a.Dx + s,
                        e - s));
        }
    }
}
