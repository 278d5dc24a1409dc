using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

// The engine's six-term product (`--six-term-engine`): ManagedGemm's fused packed Linear (bias added) with
// Skald.Tensors.Quantization.SixTermGemm on against the FMA kernels, on the engine's threads (2 here), at the products
// of a BERT encode of 32 × 32 and 32 × 128 tokens; float32 GFLOP/s (2·M·N·K) per CPU s.
internal static class SixTermEngine
{
    public static void Run()
    {
        Console.WriteLine($"six-term engine product vs FMA, {Skald.Tensors.Parallelism.MaxThreads} threads, GFLOP/s per CPU s (bias added)");
        foreach (var (m, n, k) in new[] { (1024, 1152, 384), (1024, 1536, 384), (1024, 384, 1536), (4096, 2304, 768), (4096, 3072, 768), (4096, 768, 3072), (1000, 700, 300) })
        {
            var rng = new Random(m + n + k);
            var x = new float[m * k];
            var w = new float[n * k];
            var bias = new float[n];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * 0.05);
            var managed = new ManagedGemm();
            var packed = managed.Pack(true, k, n, w, k);
            var y = new float[m * n];
            double Time(int on)
            {
                Skald.Tensors.Quantization.SixTermGemm.Override = on;
                try
                {
                    return CpuTimer.Best(() => Product(managed, x, packed, bias, y, m, k), 2.0 * m * n * k, 1);
                }
                finally
                {
                    Skald.Tensors.Quantization.SixTermGemm.Override = 0;
                }
            }
            double fma = Time(-1), six = Time(1), fma2 = Time(-1), six2 = Time(1);
            Console.WriteLine($"  {m}×{n}×{k}: FMA {fma:F0} / {fma2:F0}, six terms {six:F0} / {six2:F0} GFLOP/s ({six / fma:F2} / {six2 / fma2:F2}×)");
        }
    }

    private static unsafe void Product(ManagedGemm managed, float[] x, PackedMatrix packed, float[] bias, float[] y, int m, int k) =>
        managed.SgemmPackedFused(m, x, k, packed, bias, y, packed.N, null, null, null);
}
