using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Bench.Kernel;

/// <summary>
/// The exact GELU as the float32 GEMM's store applies it (<c>Activations.TileKernel</c>): one 12×32 tile of a
/// [rows, 1536] output, hot in L1, one thread, thread CPU time per 16-lane vector. Tells the GELU's own cost apart from
/// what a profile attributes to it (bench/profile.sh).
/// </summary>
internal static unsafe class GeluBench
{
    public static void Run(int rounds, double seconds)
    {
        const int Ld = 1536, Rows = 12, Cols = 32;
        var c = new float[Rows * Ld];
        var random = new Random(7);
        for (int i = 0; i < c.Length; i++) c[i] = (float)(random.NextDouble() * 6 - 3);
        var keep = (float[])c.Clone();
        var tile = Activations.TileKernel(ActivationKind.Gelu);
        fixed (float* p = c)
        fixed (float* k = keep)
        {
            for (int r = 0; r < rounds; r++)
            {
                long calls = 0;
                double start = CpuTime.Thread();
                while (CpuTime.Thread() - start < seconds)
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        tile(p, Ld, Rows, Cols);
                        // the tile again from its inputs (a GELU of a GELU would drift toward 0 and its cheap pieces)
                        for (int row = 0; row < Rows; row++) Buffer.MemoryCopy(k + row * Ld, p + row * Ld, Cols * 4, Cols * 4);
                    }
                    calls += 1000;
                }
                double ns = (CpuTime.Thread() - start) * 1e9 / (calls * Rows * Cols / 16.0);
                Console.WriteLine($"gelu tile 12x32: {ns:F2} ns per 16-lane vector (tile + its reload), {ns * 3.2:F1} cycles at 3.2 GHz");
            }
        }
    }
}
