using Skald.Tensors.Gemm;

namespace Skald.Bench.Kernel;

/// <summary>
/// The direct tile alone on one thread, two operand placements: "L1" (one A tile and one B panel, kc 128: both in L1)
/// and "L2 sweep" (as the driver runs it: 12 A tiles of a 144-row block read in place, lda 768, each against a block
/// of B panels 384 columns wide at kc 256, so B streams from L2). Variants are timed round-robin; best round wins.
/// </summary>
internal static unsafe class KernelBench
{
    private sealed class Variant(string name, int mr, int nr, delegate*<int, float*, nint, float*, float*, int, float, float*, void> fn)
    {
        public string Name { get; } = name;
        public int MR { get; } = mr;
        public int NR { get; } = nr;
        public delegate*<int, float*, nint, float*, float*, int, float, float*, void> Fn { get; } = fn;
    }

    public static void Run(int rounds, double seconds, string? only, double peakPerCore)
    {
        var variants = new List<Variant>
        {
            new("prod 12x32", 12, 32, &MicroKernels.Kernel12x32V512Direct),
        };
        if (only != null) variants = variants.Where(v => v.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var (label, l2) in new[] { ("L1 (kc 128, 1 tile x 1 panel)", false), ("L2 sweep (kc 256, 144 rows x 384 cols)", true) })
        {
            Console.WriteLine($"-- micro-kernel, {label}, 1 thread, thread CPU time");
            Console.WriteLine($"{"variant",-18} {"GFLOP/s",8} {"% core",7} {"median",8}");
            var best = new double[variants.Count];
            var all = variants.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.Count; v++)
                {
                    double g = Measure(variants[v], l2, seconds);
                    best[v] = Math.Max(best[v], g);
                    all[v].Add(g);
                }
            for (int v = 0; v < variants.Count; v++)
            {
                all[v].Sort();
                Console.WriteLine($"{variants[v].Name,-18} {best[v],8:F1} {100 * best[v] / peakPerCore,6:F1}% {all[v][all[v].Count / 2],8:F1}");
            }
        }
    }

    private static double Measure(Variant v, bool l2, double seconds)
    {
        int kc = l2 ? 256 : 128, lda = 768, cols = l2 ? 384 : v.NR, rows = l2 ? 144 / v.MR * v.MR : v.MR;
        int panels = cols / v.NR, tiles = rows / v.MR, ldc = 384;
        var rng = new Random(5);
        float* a = Alloc(rows * lda, rng), b = Alloc(panels * kc * v.NR, rng), c = Alloc(v.MR * tiles * ldc, rng);
        try
        {
            void Sweep()
            {
                for (int t = 0; t < tiles; t++)
                    for (int p = 0; p < panels; p++)
                        v.Fn(kc, a + (long)t * v.MR * lda, lda, b + (long)p * kc * v.NR, c + (long)t * v.MR * ldc + p * v.NR, ldc, 0f, null);
            }
            for (int i = 0; i < 20; i++) Sweep();
            double flopsPerSweep = 2.0 * rows * cols * kc;
            int reps = Math.Max(1, (int)(seconds * 150e9 / flopsPerSweep));
            double t0 = CpuTime.Thread();
            for (int i = 0; i < reps; i++) Sweep();
            double t1 = CpuTime.Thread();
            return flopsPerSweep * reps / (t1 - t0) / 1e9;
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(a);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(b);
            System.Runtime.InteropServices.NativeMemory.AlignedFree(c);
        }
    }

    private static float* Alloc(long n, Random rng)
    {
        var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(n * 4 + 64), 64);
        for (long i = 0; i < n; i++) p[i] = (float)(rng.NextDouble() - 0.5);
        return p;
    }
}
