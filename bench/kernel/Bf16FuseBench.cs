using System.Diagnostics;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Bench.Kernel;

/// <summary>
/// The bfloat16 GEMM's fused epilogues against the unfused sequence they replaced, at a BERT layer's shapes (12×384 and
/// 12×768: the FFN's input projection with GELU, its output projection and the attention output with the residual add
/// and LayerNorm): <see cref="Bf16Gemm.LinearActivation(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, ActivationKind)"/>
/// against <see cref="Bf16Gemm.Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/> then
/// <see cref="Activations.Gelu"/>, and <c>Bf16Gemm.LinearAddLayerNorm</c> against the product then
/// <see cref="LayerNorm.AddDropoutForward"/> into a second buffer (what <c>Ops</c> ran before); GELU (tanh) in the store
/// (GPT-2's <c>gelu_new</c>) against the product then <see cref="Activations.GeluTanh"/>; and a decoder's gated MLP
/// (Qwen2.5-0.5B's 896 → 2 × 4864, a prefill of 128 rows and a decoding step's 1 row),
/// <see cref="Bf16Gemm.LinearGated(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, GateFunction)"/>
/// against the product into [m, 2I] then <see cref="GatedActivation.Forward"/>. Variants alternate round by round;
/// per shape the median over rounds of process CPU seconds per call and of wall time.
/// </summary>
internal static class Bf16FuseBench
{
    public static void Run(int rounds, double seconds)
    {
        if (!Bf16Gemm.IsSupported)
        {
            Console.WriteLine("-- bf16fuse: this CPU has no AVX512-BF16");
            return;
        }
        (int M, int K, int N, Fused Kind, string What)[] shapes =
        [
            (1024, 384, 1536, Fused.Gelu, "12x384 ffn in + GELU, 32x32 tokens"), (1024, 1536, 384, Fused.AddNorm, "12x384 ffn out + add + LN"),
            (1024, 384, 384, Fused.AddNorm, "12x384 attn out + add + LN"), (4096, 384, 1536, Fused.Gelu, "12x384 ffn in + GELU, 32x128"),
            (4096, 1536, 384, Fused.AddNorm, "12x384 ffn out + add + LN, 32x128"), (128, 384, 1536, Fused.Gelu, "12x384 ffn in + GELU, 1x128"),
            (1024, 768, 3072, Fused.Gelu, "12x768 ffn in + GELU, 32x32"), (1024, 3072, 768, Fused.AddNorm, "12x768 ffn out + add + LN"),
            (1024, 768, 768, Fused.AddNorm, "12x768 attn out + add + LN"), (1024, 768, 3072, Fused.GeluTanh, "12x768 ffn in + GELU-tanh, 32x32"),
            (128, 896, 2 * 4864, Fused.Gated, "qwen2.5-0.5b gate/up + SiLU, 128 rows"), (1, 896, 2 * 4864, Fused.Gated, "qwen2.5-0.5b gate/up + SiLU, 1 row"),
        ];
        var rng = new Random(7);
        Console.WriteLine($"-- bf16 fused epilogues, {rounds} rounds of {seconds:F2} s per variant; median ms per call (CPU, wall), unfused / fused");
        Console.WriteLine($"{"shape",-38} {"unfused cpu",12} {"fused cpu",10} {"ratio",6} {"unfused wall",13} {"fused wall",11} {"ratio",6}");
        foreach (var (m, k, n, kind, what) in shapes)
        {
            var x = Fill(rng, m * k, 2f);
            var w = Bf16Matrix.FromSingle(Fill(rng, n * k, 0.05f), n, k);
            var bias = Fill(rng, n, 0.1f);
            var residual = Fill(rng, m * n, 1f);
            var gamma = Fill(rng, n, 1f);
            var beta = Fill(rng, n, 0.1f);
            var (product, y, mean, rstd) = (new float[m * n], new float[m * n], new float[m], new float[m]);
            Action[] variants = kind switch
            {
                Fused.Gelu => [() => { Bf16Gemm.Linear(x, w, bias, product, m); Activations.Gelu(product, y); }, () => Bf16Gemm.LinearActivation(x, w, bias, y, m, ActivationKind.Gelu)],
                Fused.GeluTanh => [() => { Bf16Gemm.Linear(x, w, bias, product, m); Activations.GeluTanh(product, y); },
                    () => Bf16Gemm.LinearActivation(x, w, bias, y, m, ActivationKind.GeluTanh)],
                Fused.Gated => [() => { Bf16Gemm.Linear(x, w, bias, product, m); GatedActivation.Forward(product, y, m, n / 2, GateFunction.Silu); },
                    () => Bf16Gemm.LinearGated(x, w, bias, y, m, GateFunction.Silu)],
                _ => [() => { Bf16Gemm.Linear(x, w, bias, product, m); LayerNorm.AddDropoutForward(product, residual, gamma, beta, y, mean, rstd, m, n, 1e-12f, 0f, 0); },
                    () => Bf16Gemm.LinearAddLayerNorm(x, w, bias, residual, gamma, beta, y, mean, rstd, m, 1e-12f)],
            };
            var cpu = new List<double>[] { [], [] };
            var wall = new List<double>[] { [], [] };
            foreach (var v in variants) v(); // warm-up: buffers grown, code jitted
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.Length; v++)
                {
                    int calls = 0;
                    double c0 = CpuTime.Process();
                    var clock = Stopwatch.StartNew();
                    while (clock.Elapsed.TotalSeconds < seconds || calls < 3)
                    {
                        variants[v]();
                        calls++;
                    }
                    wall[v].Add(clock.Elapsed.TotalSeconds / calls);
                    cpu[v].Add((CpuTime.Process() - c0) / calls);
                }
            double cu = Median(cpu[0]), cf = Median(cpu[1]), wu = Median(wall[0]), wf = Median(wall[1]);
            Console.WriteLine($"{what,-38} {cu * 1e3,12:F3} {cf * 1e3,10:F3} {cu / cf,6:F3} {wu * 1e3,13:F3} {wf * 1e3,11:F3} {wu / wf,6:F3}");
        }
    }

    private enum Fused { Gelu, GeluTanh, AddNorm, Gated }

    private static float[] Fill(Random rng, int count, float scale)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static double Median(List<double> x)
    {
        var s = x.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
