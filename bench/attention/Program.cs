using System.Diagnostics;
using Skald.Tensors;
using Skald.Tensors.Kernels;

// Inference attention alone: Attention.Forward with no probabilities kept, at the shapes of the 12x384 / 12x768 BERT
// encoders (fused QKV strides, padding mask) and of the Qwen2.5-0.5B decoder (14 query heads, 2 key/value heads,
// causal). Attention.Forward without probabilities (the packed per-head GEMMs, what every unrecorded pass ran before
// ForwardInference) against Attention.ForwardInference (the direct kernel), interleaved in rounds in one process;
// prints one JSON line per shape with the process CPU time per call of each and their ratio.
//   dotnet Skald.Bench.Attention.dll [--threads 1] [--seconds 2 (per shape and variant)] [--rounds 6] [--only NAME]
// Whole model (ModelAb): Tape.DirectAttention off vs on, iterations interleaved in one process:
//   dotnet Skald.Bench.Attention.dll --model DIR [--threads 2] [--batch 32] [--seqs 32,128] [--iterations 10] [--pack 1|0]
int threads = 1;
double seconds = 2;
string? only = null;
int rounds = 6;
string? model = null;
int batch = 32, iterations = 10;
int[] seqs = [32, 128];
bool pack = true;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--seconds": seconds = double.Parse(args[++i]); break;
        case "--only": only = args[++i]; break;
        case "--rounds": rounds = int.Parse(args[++i]); break;
        case "--model": model = args[++i]; break;
        case "--batch": batch = int.Parse(args[++i]); break;
        case "--seqs": seqs = [.. args[++i].Split(',').Select(int.Parse)]; break;
        case "--iterations": iterations = int.Parse(args[++i]); break;
        case "--pack": pack = args[++i] != "0"; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
Parallelism.MaxThreads = threads;
if (model is not null)
{
    Skald.Bench.Attention.ModelAb.Run(model, batch, seqs, iterations, pack);
    return 0;
}
var shapes = new (string Name, int Batch, int Seq, int Heads, int KvHeads, bool Causal, bool Fused)[]
{
    ("bert-384 seq 32", 32, 32, 6, 6, false, true),
    ("bert-384 seq 128", 32, 128, 6, 6, false, true),
    ("bert-768 seq 32", 32, 32, 12, 12, false, true),
    ("bert-768 seq 128", 32, 128, 12, 12, false, true),
    ("qwen2-0.5b causal seq 128", 8, 128, 14, 2, true, false),
    ("qwen2-0.5b bidirectional seq 128", 8, 128, 14, 2, false, false),
    ("bert-384 seq 256", 32, 256, 6, 6, false, true),
    ("bert-384 seq 512", 8, 512, 6, 6, false, true),
    ("bert-384 seq 1024", 2, 1024, 6, 6, false, true),
    ("bert-384 seq 2048", 1, 2048, 6, 6, false, true),
    ("qwen2-0.5b causal seq 2048", 1, 2048, 14, 2, true, false),
};
const int d = 64;
var rng = new Random(1);
foreach (var s in shapes)
{
    if (only is not null && !s.Name.Contains(only, StringComparison.Ordinal)) continue;
    int c = s.Heads * d, ckv = s.KvHeads * d, rows = s.Batch * s.Seq;
    AttentionLayout l = s.Fused
        ? new AttentionLayout(s.Batch, s.Seq, s.Heads, s.Heads, d, 3 * c, 3 * c, c)
        : AttentionLayout.Dense(s.Batch, s.Seq, s.Heads, s.KvHeads, d);
    var q = new float[s.Fused ? rows * 3 * c : rows * c];
    var kv = s.Fused ? q : new float[rows * ckv];
    var v = s.Fused ? q : new float[rows * ckv];
    foreach (var a in new[] { q, kv, v }) for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
    var mask = new float[rows];
    for (int b = 0; b < s.Batch; b++) for (int t = s.Seq - b % (s.Seq / 2); t < s.Seq; t++) mask[b * s.Seq + t] = float.MinValue;
    var o = new float[rows * c];
    var sc = new AttentionScoring(0.125f, s.Causal);
    int kAt = s.Fused ? c : 0, vAt = s.Fused ? 2 * c : 0;
    void Packed() => Attention.Forward(q, kv.AsSpan(kAt), v.AsSpan(vAt), s.Causal ? default : mask, o, default, l, sc);
    void Direct() => Attention.ForwardInference(q, kv.AsSpan(kAt), v.AsSpan(vAt), s.Causal ? default : mask, o, l, sc);
    // Interleaved: rounds of each variant in turn, CPU time summed per variant.
    var cpu = new double[2];
    var calls = new int[2];
    var proc = Process.GetCurrentProcess();
    for (int round = -1; round < rounds; round++)
    {
        for (int variant = 0; variant < 2; variant++)
        {
            Action run = variant == 0 ? Packed : Direct;
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            int n = 0;
            for (var wall = Stopwatch.StartNew(); wall.Elapsed.TotalSeconds < seconds / rounds; n++) run();
            proc.Refresh();
            if (round < 0) continue; // warm-up round
            cpu[variant] += (proc.TotalProcessorTime - cpu0).TotalMilliseconds;
            calls[variant] += n;
        }
    }
    double flops = 4.0 * s.Batch * s.Heads * s.Seq * s.Seq * d * (s.Causal ? 0.5 : 1);
    double packedMs = cpu[0] / calls[0], directMs = cpu[1] / calls[1];
    Console.WriteLine($"{{\"shape\":\"{s.Name}\",\"threads\":{threads},\"packed_cpu_ms\":{packedMs:F3}," +
        $"\"direct_cpu_ms\":{directMs:F3},\"packed_over_direct\":{packedMs / directMs:F2}," +
        $"\"direct_gflops_per_cpu_s\":{flops / directMs / 1e6:F1},\"calls\":[{calls[0]},{calls[1]}]}}");
}
return 0;
