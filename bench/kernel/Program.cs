using Skald.Bench.Kernel;
using Skald.Tensors;
using Skald.Tensors.Gemm;

// AVX-512 SGEMM efficiency (issue 16): the direct 12x32 micro-kernel alone (operands hot in L1/L2, one thread) and
// the whole pre-packed GEMM at the BERT / Qwen2.5 Linear shapes, variants interleaved round by round in one process,
// timed with CPU time (thread CPU for the kernel, process CPU for the GEMM; wall printed too).
// Usage: dotnet run -c Release --project bench/kernel [-- kernel|gemm|all] [--threads N] [--seconds S] [--rounds R]
//   [--only SUBSTRING (kernel) | NAME,NAME (gemm, forward)] [--shapes bert|qwen|all] [--unpacked (gemm: B packed per call)]
//   forward --model DIR [--batch 32] [--seq 32] [--passes 15]: whole forward passes, engine settings alternating per pass
//   dot [--rounds 5] [--passes 15 (layers)]: a decoding step's few-row products, DotGemm against packing per call
//   bf16dot [--rounds 5] [--passes 15 (layers)]: bfloat16 compute (Bf16Gemm) against float32 and bf16 weights through DotGemm
//   bf16fuse [--rounds 5] [--seconds 0.4]: the bfloat16 GEMM's fused GELU / add + LayerNorm against the unfused ops, BERT shapes
//   strassen [--batch 36] [--seq 32] [--shapes ...]: one level of Strassen against the plain product, M = batch·seq
//   peak: the FMA loop alone (512- and 256-bit); kernel and gemm measure it first and report % of it ([--peak GFLOPS] to fix it)
string mode = args.Length > 0 && !args[0].StartsWith("--") ? args[0] : "all";
int threads = Environment.ProcessorCount, rounds = 5;
double seconds = 0.4;
string? only = null, shapeSet = "all", model = null;
int batch = 32, seq = 32, passes = 15;
double peakPerCore = 0;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i]);
    else if (args[i] == "--seconds") seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else if (args[i] == "--rounds") rounds = int.Parse(args[++i]);
    else if (args[i] == "--only") only = args[++i];
    else if (args[i] == "--shapes") shapeSet = args[++i];
    else if (args[i] == "--model") model = args[++i];
    else if (args[i] == "--batch") batch = int.Parse(args[++i]);
    else if (args[i] == "--seq") seq = int.Parse(args[++i]);
    else if (args[i] == "--passes") passes = int.Parse(args[++i]);
    else if (args[i] == "--peak") peakPerCore = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
}
Parallelism.MaxThreads = threads;
// The per-core FMA peak the % columns divide by: measured on this host (205 on the Zen 5 VM, ~half that on Zen 4,
// whose 512-bit FMAs take both 256-bit pipes) unless --peak gives it.
Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load {File.ReadAllText("/proc/loadavg").Trim()}, threads={threads}");
if (mode is "peak" or "kernel" or "gemm" or "all" && peakPerCore <= 0) peakPerCore = FmaPeakBench.Run(3, Math.Min(seconds, 0.3));
if (mode is "kernel" or "gemm" or "all") Console.WriteLine($"peak {peakPerCore:F1} GFLOP/s per core");
if (mode is "kernel" or "all") KernelBench.Run(rounds, seconds, only, peakPerCore);
if (mode == "forward") ForwardBench.Run(model ?? throw new ArgumentException("forward needs --model DIR"), batch, seq, passes, only);
if (mode == "gelu") GeluBench.Run(rounds, seconds);
if (mode == "dot") DotBench.Run(rounds, passes);
if (mode == "bf16dot") Bf16DotBench.Run(rounds, passes);
if (mode == "bf16fuse") Bf16FuseBench.Run(rounds, seconds);
if (mode == "strassen") StrassenBench.Run(rounds, seconds, shapeSet!, batch * seq);
if (mode is "gemm" or "all") WholeGemmBench.Run(rounds, seconds, threads, only, shapeSet!, peakPerCore, args.Contains("--unpacked"));
