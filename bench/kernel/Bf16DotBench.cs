using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Bench.Kernel;

/// <summary>
/// A decoding step's products in bfloat16 compute (<see cref="Bf16Gemm"/>: activations rounded to bfloat16, weights as
/// <see cref="Bf16Matrix"/> panels, the 8-row <c>vdpbf16ps</c> tile with the rows padded to 8) at Qwen2.5-0.5B's
/// shapes, as <see cref="DotBench"/>, beside float32 weights and bfloat16 weights widened to float32 through
/// <see cref="DotGemm"/>, interleaved round by round; ms per step (best).
/// </summary>
internal static class Bf16DotBench
{
    public static void Run(int rounds, int layers)
    {
        if (!Bf16Gemm.IsSupported)
        {
            Console.WriteLine("-- bf16dot: this CPU has no AVX512-BF16");
            return;
        }
        var rng = new Random(5);
        var shapes = DotBench.Shapes(layers);
        var weights = shapes.Select(s => DotBench.Fill(rng, (long)s.K * s.N)).ToArray();
        var weights16 = weights.Select(w => w.Select(Skald.Tensors.Kernels.Bf16.FromSingle).ToArray()).ToArray();
        var panels = weights16.Select((w, s) => Bf16Matrix.FromBits(w, shapes[s].N, shapes[s].K)).ToArray();
        double bytes = shapes.Sum(s => 4.0 * s.K * s.N);
        var x = DotBench.Fill(rng, 16L * 4864);
        var c = new float[16 * 151936];
        var gemm = new ManagedGemm();
        string[] variants = ["f32 dot", "bf16 weights dot", "bf16 compute"];
        Console.WriteLine($"-- bf16 compute, decoding step, {layers} Qwen2.5-0.5B layers + LM head ({bytes / 1e9:F2} GB float32), ms per step");
        Console.WriteLine($"{"m",-4} " + string.Join(" ", variants.Select(v => $"{v,22}")) + "   f32 / bf16 compute, bf16 weights / bf16 compute");
        foreach (int m in new[] { 1, 4, 16 })
        {
            var best = new double[variants.Length];
            Array.Fill(best, double.MaxValue);
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.Length; v++)
                {
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    for (int s = 0; s < shapes.Count; s++)
                    {
                        var (k, n) = shapes[s];
                        switch (v)
                        {
                            case 0: gemm.Sgemm(false, true, m, n, k, 1f, x, k, weights[s], k, 0f, c, n); break;
                            case 1: gemm.SgemmBf16(false, true, m, n, k, 1f, x, k, weights16[s], k, 0f, c, n); break;
                            default: Bf16Gemm.Linear(x, panels[s], [], c, m); break;
                        }
                    }
                    best[v] = Math.Min(best[v], clock.Elapsed.TotalSeconds);
                }
            Console.WriteLine($"{m,-4} " + string.Join(" ", best.Select(t => $"{t * 1e3,22:F1}")) + $"   {best[0] / best[2],6:F2}x {best[1] / best[2],6:F2}x");
        }
    }
}
