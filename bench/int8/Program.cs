using System.Diagnostics;
using System.Text.Json;
using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

// The Linear layers of a 12×384 BERT (x[M, in] · Wᵀ, W [out, in]), float32 with the pre-packed weight (what
// SentenceEncoder.Encode uses) against int8 (Int8Gemm: activation quantisation + tiles + dequantising store), in
// interleaved rounds. Reports GOP/s (2·M·N·K per product) per CPU second of the process, which a shared machine
// disturbs less than wall time. Usage: dotnet run -c Release --project bench/int8 -- [--threads 1] [--rounds 3]
int threads = 1, rounds = 3;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i]);
    else if (args[i] == "--rounds") rounds = int.Parse(args[++i]);
}
Parallelism.MaxThreads = threads;
(int M, int K, int N, string What)[] shapes =
[
    (1024, 384, 1152, "qkv, 32×32 tokens"), (1024, 384, 1536, "ffn in"), (1024, 1536, 384, "ffn out"),
    (128, 384, 1536, "ffn in, 4×32 tokens"), (4096, 384, 1536, "ffn in, 32×128 tokens"),
];
var rng = new Random(1);
float[] Fill(int n, float s) { var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * s; return v; }
var proc = Process.GetCurrentProcess();
double CpuSeconds() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
for (int r = 1; r <= rounds; r++)
{
    foreach (var (m, k, n, what) in shapes)
    {
        var x = Fill(m * k, 1f);
        var w = Fill(n * k, 0.05f);
        var bias = Fill(n, 0.1f);
        var y = new float[m * n];
        var packed = Blas.Pack(true, k, n, w, k);
        var q = Int8Matrix.Quantize(w, n, k);
        double flops = 2.0 * m * n * k;
        double Measure(Action run)
        {
            run();
            int iters = 0;
            double c0 = CpuSeconds();
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < 1.5 || iters < 3)
            {
                run();
                iters++;
            }
            return flops * iters / Math.Max(1e-9, CpuSeconds() - c0) / 1e9;
        }
        double f32 = Measure(() => Skald.Tensors.Kernels.Linear.Forward(x, w, packed, bias, y, m, k, n));
        double i8 = Measure(() => Int8Gemm.Linear(x, q, bias, y, m));
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            round = r, shape = $"{m}x{k}x{n}", what, threads, kernel = Int8Gemm.Best?.ToString(),
            f32_gflops_per_cpu_s = Math.Round(f32, 1), int8_gops_per_cpu_s = Math.Round(i8, 1), ratio = Math.Round(i8 / f32, 2),
            load = File.ReadAllText("/proc/loadavg").Split(' ')[0],
        }));
    }
}
