// Encoder benchmark at a published base model's shapes with random weights (--arch norbert3: ltg/norbert3-base;
// modernbert: answerdotai/ModernBERT-base; gte: Alibaba-NLP/gte-multilingual-base); twin of bench_torch_encoders.py.
// Usage: dotnet Skald.Bench.Encoders.dll [--arch norbert3|modernbert|gte] [--batch 8] [--seq 128] [--warmup 1] [--iters 3] [--threads 2] [--pack 1|0] [--int8 1|0]
//        [--memory T [--layers N]]: peak RSS of one sequence of T tokens through the first N layers
// One JSON line on stdout (tokens/s of last hidden state + mean pooling), progress on stderr; with --int8 1 a second
// line (engine skald-int8: the Linear layers in int8, as skald encode --quantize int8) with its cosine to float32.
using System.Diagnostics;
using System.Text.Json;
using Skald.Bench.Common;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

int batch = 8, seq = 128, warmup = 1, iters = 3, threads = 2, pack = 1, layers = 0, memory = 0, int8 = 0;
string arch = "norbert3";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--arch")
    {
        arch = args[i + 1];
        continue;
    }
    int v = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--batch": batch = v; break;
        case "--seq": seq = v; break;
        case "--warmup": warmup = v; break;
        case "--iters": iters = v; break;
        case "--threads": threads = v; break;
        case "--pack": pack = v; break;
        case "--layers": layers = v; break;
        case "--memory": memory = v; break;
        case "--int8": int8 = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
Parallelism.MaxThreads = threads;
// The published config.json of each base model (NorBERT3: auto_map → modeling_norbert).
var configs = new Dictionary<string, string>
{
    ["norbert3"] = """
        {"architectures": ["NorbertForMaskedLM"],
         "auto_map": {"AutoConfig": "configuration_norbert.NorbertConfig", "AutoModel": "modeling_norbert.NorbertModel"},
         "attention_probs_dropout_prob": 0.1, "hidden_dropout_prob": 0.1, "hidden_size": 768, "intermediate_size": 2048,
         "layer_norm_eps": 1e-07, "max_position_embeddings": 512, "num_attention_heads": 12, "num_hidden_layers": 12,
         "position_bucket_size": 32, "vocab_size": 50000}
        """,
    ["modernbert"] = """
        {"architectures": ["ModernBertForMaskedLM"], "model_type": "modernbert", "hidden_size": 768,
         "intermediate_size": 1152, "num_hidden_layers": 22, "num_attention_heads": 12, "vocab_size": 50368,
         "max_position_embeddings": 8192, "global_attn_every_n_layers": 3, "local_attention": 128,
         "global_rope_theta": 160000.0, "local_rope_theta": 10000.0, "hidden_activation": "gelu", "norm_eps": 1e-05,
         "norm_bias": false, "attention_bias": false, "mlp_bias": false, "pad_token_id": 50283}
        """,
    // gte-multilingual-base's NewConfig (new-impl custom code, recognised by its auto_map).
    ["gte"] = """
        {"architectures": ["NewForTokenClassification"], "model_type": "new",
         "auto_map": {"AutoConfig": "Alibaba-NLP/new-impl--configuration.NewConfig", "AutoModel": "Alibaba-NLP/new-impl--modeling.NewModel"},
         "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
         "vocab_size": 250048, "max_position_embeddings": 8192, "hidden_act": "gelu", "layer_norm_type": "layer_norm",
         "layer_norm_eps": 1e-12, "position_embedding_type": "rope", "rope_theta": 20000,
         "rope_scaling": {"type": "ntk", "factor": 8.0}, "type_vocab_size": 1, "pack_qkv": true, "pad_token_id": 1,
         "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.0}
        """,
};
if (memory > 0) (batch, seq) = (1, memory);
string json = configs[arch];
if (layers > 0) json = System.Text.RegularExpressions.Regex.Replace(json, "\"num_hidden_layers\": \\d+", $"\"num_hidden_layers\": {layers}");
string dir = Directory.CreateTempSubdirectory("encoder-bench").FullName;
File.WriteAllText(Path.Combine(dir, "config.json"), json);
var config = TransformerConfig.Load(Path.Combine(dir, "config.json"));
Directory.Delete(dir, true);
var model = ArchitectureRegistry.Initialize(config, 1);
// Token ids: splitmix64(1) mod vocab, as bench_torch_encoders.py draws them; every row full length.
var (tokens, checksum) = SplitMixTokens.Create(1, batch, seq, config.VocabSize);
var tape = new Tape(recording: false) { PackWeights = pack != 0, DirectAttention = true, HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(model.Parameters) }; // as SentenceEncoder.Encode (weights pre-packed)
if (memory > 0)
{
    // One sequence of T tokens through the first --layers layers: peak RSS (VmHWM) and the tape arena's capacity.
    var sw0 = Stopwatch.StartNew();
    model.Forward(tape, tokens);
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["engine"] = "skald", ["measurement"] = "memory", ["model"] = $"{arch}-base (random)", ["seq"] = seq,
        ["layers"] = config.NumLayers, ["s"] = Math.Round(sw0.Elapsed.TotalSeconds, 2),
        ["arena_mb"] = tape.Arena.CapacityFloats * 4 / 1048576,
        ["peak_rss_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576,
    }));
    return 0;
}
// Float32, then (--int8 1) the same ids on a tape that multiplies the Linear layers in int8 (skald encode --quantize int8).
var (fp32, fp32Pooled) = Encode(tape, "skald");
if (int8 == 0) return 0;
_ = Encode(new Tape(recording: false) { PackWeights = pack != 0, QuantizeLinear = true }, "skald-int8",
    fp32Pooled, fp32.Cpu);
return 0;

// warm-up + iters forward passes and mean pooling; one JSON line; cosine and CPU ratio against a float32 run if given.
((double Cpu, double Mean) Run, float[] Pooled) Encode(Tape t, string engine, float[]? reference = null, double refCpu = 0)
{
    var pooled = new float[batch * config.HiddenSize];
    var times = new List<double>();
    double cpu = 0;
    for (int it = 0; it < warmup + iters; it++)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        t.Reset();
        var h = model.Forward(t, tokens).Span; // [B·T, C]
        pooled.AsSpan().Clear();
        for (int b = 0; b < batch; b++)
            for (int s = 0; s < seq; s++)
                System.Numerics.Tensors.TensorPrimitives.Add(pooled.AsSpan(b * config.HiddenSize, config.HiddenSize),
                    h.Slice((b * seq + s) * config.HiddenSize, config.HiddenSize), pooled.AsSpan(b * config.HiddenSize, config.HiddenSize));
        System.Numerics.Tensors.TensorPrimitives.Multiply(pooled, 1f / seq, pooled);
        sw.Stop();
        Console.Error.WriteLine($"{engine} encode {it}: {sw.Elapsed.TotalSeconds:F3} s{(it < warmup ? " (warm-up)" : "")}");
        if (it >= warmup)
        {
            times.Add(sw.Elapsed.TotalSeconds);
            cpu += (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        }
    }
    double mean = times.Average();
    var row = new Dictionary<string, object>
    {
        ["engine"] = engine, ["measurement"] = "encode", ["model"] = $"{arch}-base (random)", ["batch"] = batch, ["seq"] = seq,
        ["iters"] = times.Count, ["s_per_batch"] = Math.Round(mean, 3), ["best_s"] = Math.Round(times.Min(), 3),
        ["tokens_per_s"] = Math.Round(batch * seq / mean, 1), ["cpu_s"] = Math.Round(cpu / times.Count, 3),
        ["threads"] = Parallelism.MaxThreads, ["packed"] = pack != 0, ["gemm"] = Blas.Backend.GetType().Name, ["ids_checksum"] = checksum,
        ["pooled_0"] = Math.Round(pooled[0], 6),
    };
    if (reference is not null)
    {
        row["int8_kernel"] = Skald.Tensors.Quantization.Int8Gemm.Best?.ToString() ?? "none (float32)";
        row["cosine_min_vs_fp32"] = Math.Round(Enumerable.Range(0, batch).Min(b => Cosine(reference, pooled, b * config.HiddenSize, config.HiddenSize)), 5);
        row["cpu_ratio_fp32_over_int8"] = Math.Round(refCpu / (cpu / times.Count), 2);
    }
    Console.WriteLine(JsonSerializer.Serialize(row));
    return ((cpu / times.Count, mean), pooled);
}

static double Cosine(float[] a, float[] b, int offset, int n)
{
    double dot = 0, na = 0, nb = 0;
    for (int i = offset; i < offset + n; i++)
    {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    return dot / Math.Sqrt(na * nb);
}
