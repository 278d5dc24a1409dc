// Sparse-encoder (SPLADE) benchmark at naver/splade-v3's shapes (BERT-base, vocabulary 30,522) with random weights;
// twin of bench_torch_splade.py. The whole SparseEncoder forward: BERT, the masked-LM head, SpladePooling (max of
// log(1 + relu)) over full rows of splitmix64 ids, as SentenceEncoder.Encode runs it (weights pre-packed).
// Usage: dotnet Skald.Bench.Splade.dll [--batch 16] [--seq 128] [--warmup 1] [--iters 3] [--threads 2]
// One JSON line on stdout (tokens/s, active entries per text), progress on stderr.
using System.Diagnostics;
using System.Text.Json;
using Skald.Bench.Common;
using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tensors.Autograd;

int batch = 16, seq = 128, warmup = 1, iters = 3, threads = 2;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int v = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--batch": batch = v; break;
        case "--seq": seq = v; break;
        case "--warmup": warmup = v; break;
        case "--iters": iters = v; break;
        case "--threads": threads = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
Parallelism.MaxThreads = threads;
const int Vocab = 30522;
// A plain BERT-base folder (random weights as transformers initialises them); AsSparse adds BertForMaskedLM's head.
string dir = Directory.CreateTempSubdirectory("splade-bench").FullName;
File.WriteAllText(Path.Combine(dir, "config.json"), $$"""
    {"architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": {{Vocab}}, "hidden_size": 768,
     "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu",
     "max_position_embeddings": 512, "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
     "pad_token_id": 0}
    """);
var bert = ArchitectureRegistry.Initialize(TransformerConfig.Load(Path.Combine(dir, "config.json")), 1);
SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), bert.Parameters.Select(p => new TensorToWrite(p.Name, p.Shape, p.Data)));
string repo = Directory.GetCurrentDirectory(); // the checkout (run.sh runs from its root): the first folder up holding fixtures/
while (!Directory.Exists(Path.Combine(repo, "fixtures"))) repo = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(repo)) ?? throw new DirectoryNotFoundException("run from the checkout: fixtures/ not found");
File.Copy(Path.Combine(repo, "fixtures", "models", "bert-cased-mean", "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
var model = SentenceEncoder.Load(dir).AsSparse(new SpladeConfig(), seed: 1);
model.SpladeHead!.DecoderBias!.Data.Span.Fill(-2f); // as the twin: a trained SPLADE keeps a few hundred entries, not all
Directory.Delete(dir, true);

var (tokens, checksum) = SplitMixTokens.Create(1, batch, seq, Vocab);
var tape = new Tape(recording: false) { PackWeights = true, DirectAttention = true, HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(model.Parameters) };
var times = new List<double>();
double cpu = 0, active = 0;
for (int it = 0; it < warmup + iters; it++)
{
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    tape.Reset();
    var y = model.Forward(tape, tokens).Span; // [B, V]
    sw.Stop();
    Console.Error.WriteLine($"skald splade {it}: {sw.Elapsed.TotalSeconds:F3} s{(it < warmup ? " (warm-up)" : "")}");
    if (it < warmup) continue;
    times.Add(sw.Elapsed.TotalSeconds);
    cpu += (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    int nonZero = 0;
    foreach (float x in y) nonZero += x != 0f ? 1 : 0;
    active = (double)nonZero / batch;
}
double mean = times.Average();
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["engine"] = "skald", ["measurement"] = "splade", ["model"] = "bert-base + BertForMaskedLM head (random)", ["batch"] = batch,
    ["seq"] = seq, ["vocab"] = Vocab, ["iters"] = times.Count, ["s_per_batch"] = Math.Round(mean, 3), ["best_s"] = Math.Round(times.Min(), 3),
    ["tokens_per_s"] = Math.Round(batch * seq / mean, 1), ["cpu_s"] = Math.Round(cpu / times.Count, 3), ["active_per_text"] = Math.Round(active, 1),
    ["threads"] = Parallelism.MaxThreads, ["ids_checksum"] = checksum,
}));
return 0;
