using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Bench.Kernel;

/// <summary>
/// The FMA peak of one core, measured: 12 independent chains of register-only fused multiply-adds (enough to cover
/// 2 pipes × 4-5 cycles of latency), on 512-bit and on 256-bit vectors, one thread, thread CPU time, best of the
/// rounds. On Zen 5 (two full 512-bit FMA pipes) the 512-bit loop runs twice the 256-bit one; on Zen 4 (two 256-bit
/// pipes, a 512-bit FMA taking both for one cycle) and on AVX2-only hosts the two come out the same. The other modes
/// report their GFLOP/s as % of the 512-bit figure.
/// </summary>
internal static class FmaPeakBench
{
    private const int Steps = 1 << 20; // loop iterations per call: 12 FMAs each

    /// <summary>Measures both widths; prints them and returns the 512-bit figure (GFLOP/s per core), or the 256-bit one without AVX-512.</summary>
    public static double Run(int rounds, double seconds)
    {
        double best512 = 0, best256 = 0;
        for (int r = 0; r < Math.Max(1, rounds); r++)
        {
            if (Vector512.IsHardwareAccelerated) best512 = Math.Max(best512, Measure(true, seconds));
            best256 = Math.Max(best256, Measure(false, seconds));
        }
        Console.WriteLine($"-- FMA peak, 12 chains, 1 thread, thread CPU time: 512-bit {best512:F1} GFLOP/s, 256-bit {best256:F1} GFLOP/s" +
                          $" (512 / 256 = {(best256 > 0 ? best512 / best256 : 0):F2})");
        return best512 > 0 ? best512 : best256;
    }

    private static double Measure(bool wide, double seconds)
    {
        // Warm up (and let the JIT tier up) before timing.
        Sink(wide ? Chains512(Steps / 16) : Chains256(Steps / 16));
        double flopsPerCall = 12.0 * Steps * 2 * (wide ? 16 : 8), t0 = CpuTime.Thread(), t1;
        long calls = 0;
        float sink = 0;
        do
        {
            sink += wide ? Chains512(Steps) : Chains256(Steps);
            calls++;
            t1 = CpuTime.Thread();
        }
        while (t1 - t0 < seconds);
        Sink(sink);
        return flopsPerCall * calls / (t1 - t0) / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float value)
    {
        if (value == 12345.678f) Console.WriteLine(value);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(int steps)
    {
        var m = Vector512.Create(0.999999f);
        var c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c,
            a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c;
        for (int i = 0; i < steps; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(int steps)
    {
        var m = Vector256.Create(0.999999f);
        var c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c,
            a6 = a5 + c, a7 = a6 + c, a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c;
        for (int i = 0; i < steps; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
