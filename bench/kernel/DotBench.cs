using Skald.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Bench.Kernel;

/// <summary>
/// A decoding step's products (x[m, k]·W[n, k]ᵀ, m = batch, the weights streamed from memory as generation reads
/// them) at Qwen2.5-0.5B's shapes: several layers' q/k/v/o, gate/up and down weights plus the tied LM head, over a GB,
/// so nothing stays in cache between steps. The few-row dot-product path (<see cref="DotGemm"/>) against packing the
/// weights per call (what the AVX2 kernels did before it), with float32 weights and with the same weights in bfloat16
/// (half the bytes, widened as read), interleaved round by round; milliseconds per step (best of the rounds, wall) and
/// weight bytes read per second. <c>DOTNET_PreferredVectorBitWidth=256</c> runs an AVX2 host's
/// kernels.
/// </summary>
internal static class DotBench
{
    public static void Run(int rounds, int layers)
    {
        var rng = new Random(5);
        var shapes = Shapes(layers);
        var weights = shapes.Select(s => Fill(rng, (long)s.K * s.N)).ToArray();
        var weights16 = weights.Select(w => w.Select(Skald.Tensors.Kernels.Bf16.FromSingle).ToArray()).ToArray();
        var weightsF16 = weights.Select(w => w.Select(Skald.Tensors.Kernels.F16.FromSingle).ToArray()).ToArray();
        double bytes = shapes.Sum(s => 4.0 * s.K * s.N);
        var x = Fill(rng, 16L * 4864);
        var c = new float[16 * 151936];
        var gemm = new ManagedGemm(); // the widest kernel this process runs
        (string Name, bool Packed, WeightPrecision Format)[] variants =
        [
            ("packed per call", true, WeightPrecision.Float32), ("dot", false, WeightPrecision.Float32),
            ("bf16 packed per call", true, WeightPrecision.BFloat16), ("bf16 dot", false, WeightPrecision.BFloat16),
            ("f16 dot", false, WeightPrecision.Float16),
        ];
        Console.WriteLine($"-- {gemm.Name}: decoding step, {layers} Qwen2.5-0.5B layers + LM head ({bytes / 1e9:F2} GB float32), ms per step (weight GB/s)");
        Console.WriteLine($"{"m",-4} " + string.Join(" ", variants.Select(v => $"{v.Name,20}")) + "   packed / dot (f32, bf16)");
        foreach (int m in new[] { 1, 2, 4, 8, 16 })
        {
            var best = new double[variants.Length];
            Array.Fill(best, double.MaxValue);
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.Length; v++)
                {
                    DotGemm.Disabled = variants[v].Packed;
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    for (int s = 0; s < shapes.Count; s++)
                    {
                        var (k, n) = shapes[s];
                        switch (variants[v].Format)
                        {
                            case WeightPrecision.BFloat16: gemm.SgemmBf16(false, true, m, n, k, 1f, x, k, weights16[s], k, 0f, c, n); break;
                            case WeightPrecision.Float16: gemm.SgemmF16(false, true, m, n, k, 1f, x, k, weightsF16[s], k, 0f, c, n); break;
                            default: gemm.Sgemm(false, true, m, n, k, 1f, x, k, weights[s], k, 0f, c, n); break;
                        }
                    }
                    best[v] = Math.Min(best[v], clock.Elapsed.TotalSeconds);
                }
            DotGemm.Disabled = false;
            Console.WriteLine($"{m,-4} " + string.Join(" ", best.Select((t, v) => $"{t * 1e3,9:F1} ({bytes / (variants[v].Format == WeightPrecision.Float32 ? 1 : 2) / t / 1e9,5:F1} GB/s)")) +
                              $"   {best[0] / best[1],6:F2}x {best[2] / best[3],6:F2}x");
        }
    }

    /// <summary>(K, N) of <paramref name="layers"/> Qwen2.5-0.5B layers' q/k/v/o, gate/up and down weights, then the LM head's.</summary>
    public static List<(int K, int N)> Shapes(int layers)
    {
        var shapes = new List<(int K, int N)>();
        for (int l = 0; l < layers; l++)
            shapes.AddRange([(896, 896), (896, 128), (896, 128), (896, 896), (896, 4864), (896, 4864), (4864, 896)]);
        shapes.Add((896, 151936));
        return shapes;
    }

    /// <summary>n uniform values in [-0.5, 0.5).</summary>
    public static float[] Fill(Random rng, long n)
    {
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        return x;
    }
}
