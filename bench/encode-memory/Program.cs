// Peak RSS and throughput of encoding with a randomly initialised decoder, weights held as float32, bfloat16 or float16.
// Usage: dotnet Skald.Bench.EncodeMemory.dll <dir> <f32|bf16|f16>[+bf16compute|+bf16only] [batch=8] [seq=128] [batches=3]
//   +bf16compute: the Linear layers multiplied in bfloat16 with the panels beside the weights (SentenceEncoder.ComputeBf16);
//   +bf16only: the weights held as bfloat16 panels alone (SentenceEncoder.KeepBf16Only, what skald encode --quantize bf16 does).
//   <dir> may also be another encoder's folder (e.g. fixtures/models/export_bench_models.py's .bench/bert-768): the
//   random ids then stay below its vocabulary.
//        [hidden=896] [layers=24] [heads=14] [kv=2] [intermediate=4864] [vocab=151936]
// The first run with a new folder writes the model (Qwen2, tied embeddings, BF16 safetensors as Qwen releases them,
// the fixture tokenizer). Run each precision in its own process: the peaks are the process's.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

string dir = args[0];
string compute = args[1].Contains('+') ? args[1][(args[1].IndexOf('+') + 1)..] : "";
var precision = args[1].Split('+')[0] switch { "bf16" => WeightPrecision.BFloat16, "f16" => WeightPrecision.Float16, _ => WeightPrecision.Float32 };
int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
int batch = Arg(2, 8), seq = Arg(3, 128), batches = Arg(4, 3);
int hidden = Arg(5, 896), layers = Arg(6, 24), heads = Arg(7, 14), kv = Arg(8, 2), inter = Arg(9, 4864), vocab = Arg(10, 151936);

if (!File.Exists(Path.Combine(dir, "model.safetensors")))
{
    if (File.Exists(Path.Combine(dir, "config.json")))
    {
        // Another model's folder (a sharded checkpoint, e.g. bench/ort's qwen2-0.5b): never write over it.
        Console.Error.WriteLine($"{dir} holds another model (config.json but no model.safetensors): give this bench a folder of its own");
        return 2;
    }
    Directory.CreateDirectory(dir);
    string configPath = Path.Combine(dir, "config.json");
    File.WriteAllText(configPath, string.Create(CultureInfo.InvariantCulture, $$"""
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": {{hidden}}, "num_hidden_layers": {{layers}},
         "num_attention_heads": {{heads}}, "num_key_value_heads": {{kv}}, "intermediate_size": {{inter}}, "vocab_size": {{vocab}},
         "hidden_act": "silu", "max_position_embeddings": 32768, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
         "tie_word_embeddings": true, "attention_dropout": 0.0, "initializer_range": 0.02, "torch_dtype": "bfloat16"}
        """));
    var random = ArchitectureRegistry.Initialize(TransformerConfig.Load(configPath), seed: 1);
    SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
        random.Parameters.Select(p => new TensorToWrite(p.Name, p.Shape, p.Data)), SafeTensorsDType.BF16);
    string root = AppContext.BaseDirectory;
    while (!File.Exists(Path.Combine(root, "Skald.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
    File.Copy(Path.Combine(root, "fixtures", "models", "decoder-qwen2", "tokenizer.json"), Path.Combine(dir, "tokenizer.json"), overwrite: true);
    Console.Error.WriteLine($"wrote {dir}; run again to measure (a fresh process)");
    return 0;
}

static long Status(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith(field + ":", StringComparison.Ordinal))
            return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024; // kB → MB
    }
    return -1;
}

var sw = Stopwatch.StartNew();
var model = SentenceEncoder.Load(dir, precision: precision);
long released = compute == "bf16only" ? model.KeepBf16Only() : 0; // each Linear weight's values dropped as its panels are made
double loadSeconds = sw.Elapsed.TotalSeconds;
vocab = Math.Min(vocab, model.Transformer.Config.VocabSize);
GC.Collect();
GC.WaitForPendingFinalizers();
GC.Collect();
long hwmLoad = Status("VmHWM"), rssLoaded = Status("VmRSS");
// Reset the peak mark (VmHWM) so the next peak is encoding's, not loading's (the memory-mapped checkpoint).
File.WriteAllText("/proc/self/clear_refs", "5");

var rng = new SkaldRandom(3);
var ids = new int[batch * seq];
for (int i = 0; i < ids.Length; i++) ids[i] = 1 + rng.Next(vocab - 1);
var tokens = new TokenBatch(ids, Enumerable.Repeat(1, ids.Length).ToArray(), new int[ids.Length], batch, seq);
var tape = new Tape(recording: false) { Bf16Linear = compute == "bf16compute" }; // (bf16-only weights run in bfloat16 on any tape)
float[] Run()
{
    tape.Reset();
    return model.Forward(tape, tokens).Span[..8].ToArray();
}
sw.Restart();
var first = Run(); // warm-up: arena and packing buffers grow here (the arena on the next Reset)
double warmSeconds = sw.Elapsed.TotalSeconds;
Run();
long allocated = GC.GetTotalAllocatedBytes(precise: true);
sw.Restart();
for (int i = 0; i < batches; i++) Run();
double seconds = sw.Elapsed.TotalSeconds;
long allocatedPerBatch = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / batches;
Console.WriteLine(JsonSerializer.Serialize(new
{
    weights = args[1], batch, seq, batches, parameters = model.ParameterCount,
    weight_mb = model.WeightBytes >> 20, released_mb = released >> 20, bf16_panels_beside_weights_mb = Skald.Tensors.Quantization.Bf16Weights.Held().Sum(p => 2L * p.Length) >> 20,
    load_seconds = Math.Round(loadSeconds, 1),
    peak_rss_mb_including_load = hwmLoad, rss_after_load_mb = rssLoaded,
    peak_rss_mb_encoding = Status("VmHWM"), rss_after_encoding_mb = Status("VmRSS"),
    first_batch_seconds = Math.Round(warmSeconds, 2), tokens_per_second = Math.Round(batches * batch * seq / seconds, 1),
    managed_bytes_allocated_per_batch = allocatedPerBatch, gemm = Skald.Tensors.Gemm.Blas.Backend.Name,
    first_values = first,
}));
return 0;
