// Peak RSS of LoRA training steps on a randomly initialised Qwen2-style decoder, with or without gradient checkpointing.
// Usage: dotnet Skald.Bench.DecoderMemory.dll <dir> <checkpointing 0|1> [hidden=512] [layers=8] [heads=8] [kv=4]
//        [intermediate=1536] [vocab=32000] [batch=8] [seq=128] [steps=2] [weights=f32|bf16|f16|int8]
// Run each setting in its own process: the peak is the process's (runtime, weights, adapters, Adam, activations).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;

string dir = args[0];
bool checkpointing = args[1] == "1";
int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
int hidden = Arg(2, 512), layers = Arg(3, 8), heads = Arg(4, 8), kv = Arg(5, 4), inter = Arg(6, 1536), vocab = Arg(7, 32000);
int batch = Arg(8, 8), seq = Arg(9, 128), steps = Arg(10, 2);
// How the frozen base's weight matrices are held (skald train's model.weights): float32, bfloat16 / float16, or int8
// (loaded float32, then its Linear weights kept int8 only, as model.weights: int8 does before attaching the adapters).
string weights = args.Length > 11 ? args[11] : "f32";
var precision = weights switch
{
    "bf16" => Skald.Tensors.WeightPrecision.BFloat16,
    "f16" => Skald.Tensors.WeightPrecision.Float16,
    _ => Skald.Tensors.WeightPrecision.Float32,
};

if (!File.Exists(Path.Combine(dir, "model.safetensors")))
{
    // A Qwen2 decoder (q/k/v biases, GQA, SwiGLU, tied embeddings) at the given shape, initialised as transformers does.
    Directory.CreateDirectory(dir);
    string configPath = Path.Combine(dir, "config.json");
    File.WriteAllText(configPath, string.Create(CultureInfo.InvariantCulture, $$"""
        {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": {{hidden}}, "num_hidden_layers": {{layers}},
         "num_attention_heads": {{heads}}, "num_key_value_heads": {{kv}}, "intermediate_size": {{inter}}, "vocab_size": {{vocab}},
         "hidden_act": "silu", "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
         "tie_word_embeddings": true, "attention_dropout": 0.0, "initializer_range": 0.02}
        """));
    var random = ArchitectureRegistry.Initialize(TransformerConfig.Load(configPath), seed: 1);
    SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), random.Parameters.Select(p => new TensorToWrite(p.Name, p.Shape, p.Data)));
    string root = AppContext.BaseDirectory;
    while (!File.Exists(Path.Combine(root, "Skald.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
    File.Copy(Path.Combine(root, "fixtures", "models", "decoder-qwen2", "tokenizer.json"), Path.Combine(dir, "tokenizer.json"), overwrite: true);
    GC.Collect();
}

// LLM2Vec's SimCSE setting: bidirectional, attention dropout 0.3, LoRA r 16 / alpha 32 / dropout 0.05 on every projection.
var encoder = Skald.Models.SentenceEncoder.Load(dir, precision: precision);
if (weights == "int8") encoder.KeepInt8Only();
var model = TrainableEncoder.For(encoder, dropout: 0.3f, seed: 1);
((IDecoder)model.Model.Transformer).AttentionMode = AttentionMode.Bidirectional;
model.EnableLora(new LoraConfig
{
    R = 16, Alpha = 32, Dropout = 0.05f,
    TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}, seed: 2);
model.GradientCheckpointing = checkpointing;
model.MaxSeqLength = seq;
string[] words = ["hus", "bil", "sol", "vann", "skog", "fjell", "by", "tog", "bok", "mat", "vei", "hav", "natt", "dag", "lys"];
var rng = new Skald.Tensors.SkaldRandom(3);
string Text() => string.Join(' ', Enumerable.Range(0, seq).Select(_ => words[rng.Next(words.Length)]));
var data = new TrainingBatch([
    Enumerable.Range(0, batch).Select(_ => Text()).ToArray(), Enumerable.Range(0, batch).Select(_ => Text()).ToArray()]);
if (data.Columns.Any(c => model.Tokenize(c).Any(e => e.Ids.Length != seq))) throw new InvalidOperationException("texts too short for seq");
var loss = new MultipleNegativesRankingLoss();
var opt = new AdamW(model.Parameters);
GC.Collect();
long before = Process.GetCurrentProcess().WorkingSet64;
// Reset the kernel's peak-RSS mark (VmHWM), so the peak is the steps' and not loading's (the memory-mapped safetensors).
bool peakReset = false;
try
{
    File.WriteAllText("/proc/self/clear_refs", "5");
    peakReset = true;
}
catch (IOException)
{
}
catch (UnauthorizedAccessException)
{
}
var times = new List<double>();
float last = 0;
for (int s = 0; s < steps; s++)
{
    var sw = Stopwatch.StartNew();
    model.ZeroGradients();
    last = loss.ComputeAndBackward(model, data);
    GradientClipping.ClipGlobalNorm(model.Parameters, 1f);
    opt.Step(1e-4f);
    times.Add(sw.Elapsed.TotalSeconds);
}
var process = Process.GetCurrentProcess();
process.Refresh();
long baseParams = model.Model.Parameters.Sum(p => (long)p.Length);
Console.WriteLine(JsonSerializer.Serialize(new
{
    checkpointing, weights, weight_mb = model.Model.WeightBytes >> 20, hidden, layers, heads, kv, intermediate = inter, vocab, batch, seq, steps,
    base_parameters = baseParams, lora_parameters = model.Parameters.Sum(p => (long)p.Length),
    rss_before_steps_mb = before >> 20, peak_rss_mb = process.PeakWorkingSet64 >> 20, peak_is_of_the_steps = peakReset,
    step_seconds = times.Select(t => Math.Round(t, 2)).ToArray(), last_loss = last,
}));
