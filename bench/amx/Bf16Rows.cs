using Skald.Tensors;
using Skald.Tensors.Quantization;

// `--quantize bf16`'s product by rows (`--bf16-rows`), one thread: Bf16Gemm.Linear at 1 to 64 rows on a 0.5B
// decoder's MLP shapes, GFLOP/s per CPU s, on whichever tile runs here (run again with SKALD_AMX=0 for vdpbf16ps).
internal static class Bf16Rows
{
    public static void Run()
    {
        Console.WriteLine($"bf16 Linear by rows, one thread, {Bf16Gemm.KernelName}: GFLOP/s per CPU s");
        int saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 1;
        try
        {
            foreach (var (n, k) in new[] { (4864, 896), (896, 4864) })
            {
                var rng = new Random(n);
                var w = Bf16Matrix.FromSingle(Enumerable.Range(0, n * k).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), n, k);
                foreach (int m in new[] { 1, 4, 8, 16, 64 })
                {
                    var x = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
                    var y = new float[m * n];
                    Console.WriteLine($"  {m}×{n}×{k}: {CpuTimer.Best(() => Bf16Gemm.Linear(x, w, [], y, m), 2.0 * m * n * k, 4):F1}");
                }
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }
}
