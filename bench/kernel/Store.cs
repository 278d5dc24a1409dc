using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Bench.Kernel;

/// <summary>Row stores of the bench-only tiles: beta 0 stores the sums, beta 1 adds them to C, else beta·C + sum.</summary>
internal static unsafe partial class Variants
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector512<float> x)
    {
        if (beta == 0f) x.Store(c);
        else if (beta == 1f) (Vector512.Load(c) + x).Store(c);
        else Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(c), x).Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector512<float> x0, Vector512<float> x1)
    {
        Store(c, beta, x0);
        Store(c + 16, beta, x1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2)
    {
        Store(c, beta, x0, x1);
        Store(c + 32, beta, x2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float beta, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2,
        Vector512<float> x3)
    {
        Store(c, beta, x0, x1);
        Store(c + 32, beta, x2, x3);
    }
}
