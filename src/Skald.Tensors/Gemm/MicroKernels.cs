using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

/// <summary>
/// Register-tile micro-kernels: C[MR, NR] = beta·C + Ap · Bp, where Ap is a packed A micro-panel laid out [kc][MR] and
/// Bp a packed B micro-panel laid out [kc][NR]. beta = 0 stores without reading C. The Vector256/128 tiles are
/// MR = 6 rows; the Vector512 tile is <see cref="MR512"/> rows.
/// </summary>
internal static unsafe partial class MicroKernels
{
    /// <summary>Rows of the Vector256/Vector128 tiles.</summary>
    public const int MR = 6;

    /// <summary>6×16 tile with 12 Vector256 accumulators (AVX2 + FMA).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16V256(int kc, float* a, float* b, float* c, int ldc, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += MR;
            b += 16;
        }
        Store(c, beta, c00, c01);
        Store(c + ldc, beta, c10, c11);
        Store(c + 2 * ldc, beta, c20, c21);
        Store(c + 3 * ldc, beta, c30, c31);
        Store(c + 4 * ldc, beta, c40, c41);
        Store(c + 5 * ldc, beta, c50, c51);
    }

    /// <summary>6×8 tile with 12 Vector128 accumulators (SSE / NEON).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x8V128(int kc, float* a, float* b, float* c, int ldc, float beta)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var av = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(av, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(av, b1, c01);
            av = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(av, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(av, b1, c11);
            av = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(av, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(av, b1, c21);
            av = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(av, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(av, b1, c31);
            av = Vector128.Create(a[4]);
            c40 = Vector128.MultiplyAddEstimate(av, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(av, b1, c41);
            av = Vector128.Create(a[5]);
            c50 = Vector128.MultiplyAddEstimate(av, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(av, b1, c51);
            a += MR;
            b += 8;
        }
        Store(c, beta, c00, c01);
        Store(c + ldc, beta, c10, c11);
        Store(c + 2 * ldc, beta, c20, c21);
        Store(c + 3 * ldc, beta, c30, c31);
        Store(c + 4 * ldc, beta, c40, c41);
        Store(c + 5 * ldc, beta, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector512<float> lo, Vector512<float> hi)
    {
        if (beta == 0f)
        {
            lo.Store(c);
            hi.Store(c + 16);
        }
        else if (beta == 1f)
        {
            (Vector512.Load(c) + lo).Store(c);
            (Vector512.Load(c + 16) + hi).Store(c + 16);
        }
        else
        {
            var bv = Vector512.Create(beta);
            Vector512.FusedMultiplyAdd(bv, Vector512.Load(c), lo).Store(c);
            Vector512.FusedMultiplyAdd(bv, Vector512.Load(c + 16), hi).Store(c + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector256<float> lo, Vector256<float> hi)
    {
        if (beta == 0f)
        {
            lo.Store(c);
            hi.Store(c + 8);
        }
        else if (beta == 1f)
        {
            (Vector256.Load(c) + lo).Store(c);
            (Vector256.Load(c + 8) + hi).Store(c + 8);
        }
        else
        {
            var bv = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(bv, Vector256.Load(c), lo).Store(c);
            Vector256.FusedMultiplyAdd(bv, Vector256.Load(c + 8), hi).Store(c + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector128<float> lo, Vector128<float> hi)
    {
        if (beta == 0f)
        {
            lo.Store(c);
            hi.Store(c + 4);
        }
        else if (beta == 1f)
        {
            (Vector128.Load(c) + lo).Store(c);
            (Vector128.Load(c + 4) + hi).Store(c + 4);
        }
        else
        {
            var bv = Vector128.Create(beta);
            (bv * Vector128.Load(c) + lo).Store(c);
            (bv * Vector128.Load(c + 4) + hi).Store(c + 4);
        }
    }
}
