// NorBERT4 / GPT-BERT benchmark (ltg/norbert4-base shapes, random weights): encode throughput, and peak memory of one
// long sequence; twin of bench_torch_gptbert.py.
// Usage: dotnet Skald.Bench.GptBert.dll encode [--batch 8] [--seq 128] [--iters 3] [--threads 2] [--pack 1|0]
//          [--int8 1: also with the Linear layers in int8, as skald encode --quantize int8; engine skald-int8]
//        dotnet Skald.Bench.GptBert.dll memory --seq 4096 [--layers 4] [--threads 2]
// One JSON line per measurement on stdout.
using System.Diagnostics;
using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

if (args.Length < 1 || args[0] is not ("encode" or "memory"))
{
    Console.Error.WriteLine("usage: encode|memory [--batch 8] [--seq 128] [--iters 3] [--layers 24] [--threads 2]");
    return 2;
}
string mode = args[0];
int batch = 8, seq = 128, iters = 3, threads = 2, pack = 1, int8 = 0, layers = mode == "memory" ? 4 : 24;
for (int i = 1; i + 1 < args.Length; i += 2)
{
    int v = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--batch": batch = v; break;
        case "--seq": seq = v; break;
        case "--iters": iters = v; break;
        case "--layers": layers = v; break;
        case "--threads": threads = v; break;
        case "--pack": pack = v; break;
        case "--int8": int8 = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
Parallelism.MaxThreads = threads;
if (mode == "memory") batch = 1;

// ltg/norbert4-base's config.json (huggingface_prototype/config.json in ltgoslo/NorBERT), layers as asked.
string dir = Path.Combine(Path.GetTempPath(), "skald-bench-gptbert-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
File.WriteAllText(Path.Combine(dir, "config.json"), $$"""
    {"architectures": ["GptBertForMaskedLM"], "auto_map": {"AutoModel": "modeling_gptbert.GptBertModel"},
     "hidden_size": 640, "intermediate_size": 1664, "max_sequence_length": 16384, "num_layers": {{layers}},
     "layer_norm_eps": 1e-07, "query_key_head_size": 64, "value_head_size": 64, "num_attention_heads": 10,
     "vocab_size": 51200, "local_global_ratio": 4, "global_window_length": 8192, "local_window_length": 256,
     "pad_token_id": 0}
    """);
var config = TransformerConfig.Load(Path.Combine(dir, "config.json"));
var model = ArchitectureRegistry.Initialize(config, 1);
var rng = new Random(5);
var ids = new int[batch * seq];
for (int i = 0; i < ids.Length; i++) ids[i] = rng.Next(5, config.VocabSize);
var tokens = new TokenBatch(ids, Enumerable.Repeat(1, ids.Length).ToArray(), new int[ids.Length], batch, seq);
var tape = new Tape(recording: false) { PackWeights = pack != 0, DirectAttention = true, HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(model.Parameters) }; // as SentenceEncoder.Encode (weights pre-packed)
if (mode == "memory")
{
    var sw = Stopwatch.StartNew();
    model.Forward(tape, tokens);
    Emit(new() { ["engine"] = "skald", ["measurement"] = "memory", ["seq"] = seq, ["layers"] = layers,
        ["s"] = Math.Round(sw.Elapsed.TotalSeconds, 2), ["arena_mb"] = tape.Arena.CapacityFloats * 4 / 1048576,
        ["peak_rss_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576 });
    return 0;
}
var (fp32, fp32Cpu) = Encode(tape, "skald");
if (int8 != 0)
{
    var (q, qCpu) = Encode(new Tape(recording: false) { PackWeights = pack != 0, QuantizeLinear = true, DirectAttention = true }, "skald-int8");
    int c = config.HiddenSize;
    double cosine = Enumerable.Range(0, batch).Min(b => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(
        fp32.AsSpan(b * c, c), q.AsSpan(b * c, c)));
    Emit(new() { ["engine"] = "skald-int8", ["measurement"] = "int8_vs_fp32", ["cosine_min_vs_fp32"] = Math.Round(cosine, 5),
        ["cpu_ratio_fp32_over_int8"] = Math.Round(fp32Cpu / qCpu, 2),
        ["int8_kernel"] = Skald.Tensors.Quantization.Int8Gemm.Best?.ToString() ?? "none (float32)" });
}
return 0;

// A warm-up and --iters timed forward passes on t; one JSON line; returns the mean-pooled last hidden states [B, C]
// and the process CPU seconds per pass.
(float[] Pooled, double Cpu) Encode(Tape t, string engine)
{
    model.Forward(t, tokens); // warm-up
    var times = new List<double>();
    double cpu = 0; // process CPU seconds (all threads) over the timed iterations
    float[] pooled = new float[batch * config.HiddenSize];
    for (int i = 0; i < iters; i++)
    {
        t.Reset();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var h = model.Forward(t, tokens).Span; // [B·T, C]
        times.Add(sw.Elapsed.TotalSeconds);
        cpu += (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        Console.Error.WriteLine($"{engine} encode {i + 1}/{iters}: {times[^1]:F2} s");
        pooled.AsSpan().Clear();
        int c = config.HiddenSize;
        for (int r = 0; r < batch * seq; r++)
            System.Numerics.Tensors.TensorPrimitives.Add(pooled.AsSpan(r / seq * c, c), h.Slice(r * c, c), pooled.AsSpan(r / seq * c, c));
    }
    Emit(new() { ["engine"] = engine, ["measurement"] = "encode", ["batch"] = batch, ["seq"] = seq, ["layers"] = layers,
        ["threads"] = threads, ["packed"] = pack != 0, ["best_s"] = Math.Round(times.Min(), 3),
        ["tokens_per_s"] = Math.Round(batch * seq / times.Average(), 1), ["cpu_s"] = Math.Round(cpu / iters, 3),
        ["peak_rss_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576 });
    return (pooled, cpu / iters);
}

static void Emit(Dictionary<string, object> row) => Console.WriteLine(JsonSerializer.Serialize(row));
