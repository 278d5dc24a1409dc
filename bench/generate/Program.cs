// Generation benchmark (Qwen2.5-0.5B shapes): greedy decoding with the KV cache; twin of bench_torch_generate.py.
// Usage: dotnet Skald.Bench.Generate.dll MODEL_DIR [--batch 1] [--prompt 32] [--new 64] [--warmup 1] [--iters 3] [--threads 2] [--int8 1]
// (--int8 1: Generator.KeepInt8Only, as skald generate --quantize int8; --bf16 1: weights held in bfloat16, as skald generate --weights bf16)
// One JSON line per measurement on stdout (the same prompts as the PyTorch twin: ids (7·i + 13·b) mod V + 1), progress on stderr.
using System.Diagnostics;
using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tensors;
using Skald.Tensors.Gemm;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: MODEL_DIR [--batch 1] [--prompt 32] [--new 64] [--warmup 1] [--iters 3] [--threads 2]");
    return 2;
}
string folder = args[0];
int batch = 1, promptLength = 32, newTokens = 64, warmup = 1, iters = 3, threads = 2, int8 = 0, bf16 = 0;
for (int i = 1; i + 1 < args.Length; i += 2)
{
    int v = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--batch": batch = v; break;
        case "--prompt": promptLength = v; break;
        case "--new": newTokens = v; break;
        case "--warmup": warmup = v; break;
        case "--iters": iters = v; break;
        case "--threads": threads = v; break;
        case "--int8": int8 = v; break;
        case "--bf16": bf16 = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
Parallelism.MaxThreads = threads;
var decoder = (IDecoder)ArchitectureRegistry.Load(folder, bf16 != 0 ? WeightPrecision.BFloat16 : WeightPrecision.Float32);
int vocab = decoder.Config.VocabSize;
var prompts = Enumerable.Range(0, batch)
    .Select(b => (IReadOnlyList<int>)Enumerable.Range(0, promptLength).Select(i => (7 * i + 13 * b) % vocab + 1).ToArray()).ToArray();
var generator = new Generator(decoder, _ => "", 0, []);
long released = int8 != 0 ? generator.KeepInt8Only() : 0;
var options = new GenerationOptions { MaxNewTokens = newTokens };
var times = new List<double>();
GenerationResult[] results = [];
for (int it = 0; it < warmup + iters; it++)
{
    var clock = Stopwatch.StartNew();
    results = generator.Generate(prompts, options);
    clock.Stop();
    Console.Error.WriteLine($"skald generate: {clock.Elapsed.TotalSeconds:F2} s{(it < warmup ? " (warm-up)" : "")}");
    if (it >= warmup) times.Add(clock.Elapsed.TotalSeconds);
}
double mean = times.Average();
var line = new Dictionary<string, object>
{
    ["engine"] = int8 != 0 ? "skald-int8only" : bf16 != 0 ? "skald-bf16" : "skald", ["released_mb"] = released >> 20, ["measurement"] = "generate", ["batch"] = batch, ["prompt"] = promptLength, ["new_tokens"] = newTokens,
    ["threads"] = threads, ["gemm"] = Blas.Backend.GetType().Name, ["iters"] = times.Count, ["s_per_run"] = Math.Round(mean, 3),
    ["best_s"] = Math.Round(times.Min(), 3), ["tokens_per_s"] = Math.Round(batch * newTokens / mean, 2),
    ["first_ids"] = results[0].Ids.Take(8).ToArray(),
};
Console.WriteLine(JsonSerializer.Serialize(line));
return 0;
