// Generation benchmark (Qwen2.5-0.5B shapes): greedy decoding with the KV cache; twin of bench_torch_generate.py.
// Usage: dotnet Skald.Bench.Generate.dll MODEL_DIR [--batch 1] [--prompt 32] [--new 64] [--warmup 1] [--iters 3] [--threads 2] [--int8 1] [--bf16 1] [--bf16compute 1] [--join 0] [--short 0]
// (--join N: continuous batching, the server's path: one prompt decodes, and after its first step N more prompts of the
// same length join it at once, prefilled together; the line then also holds the time from their offer to their first
// tokens, the time to first token of joining requests, as ttft_ms: the mean over runs of the latest of the N)
// (--short N: rows 2.. of the batch stop after N new tokens while row 1 goes on to --new, as rows ending at an
// end-of-sequence id do; tokens_per_s counts the tokens made, and cpu_s_per_run is the process's CPU time per run, the
// figure to compare on a loaded host)
// (--int8 1: Generator.KeepInt8Only, as skald generate --quantize int8; --bf16 1: weights held in bfloat16, as skald generate --weights bf16;
// --bf16compute 1: Generator.KeepBf16Only, as skald generate --quantize bf16: bfloat16 panels only, vdpbf16ps; the line's
// peak_rss_mb is the process's peak resident set, VmHWM, and rss_mb its resident set at the end, VmRSS)
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
int batch = 1, promptLength = 32, newTokens = 64, warmup = 1, iters = 3, threads = 2, int8 = 0, bf16 = 0, bf16Compute = 0, join = 0, shortTokens = 0;
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
        case "--bf16compute": bf16Compute = v; break;
        case "--join": join = v; break;
        case "--short": shortTokens = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
Parallelism.MaxThreads = threads;
var decoder = (IDecoder)ArchitectureRegistry.Load(folder, bf16 != 0 ? WeightPrecision.BFloat16 : WeightPrecision.Float32);
int vocab = decoder.Config.VocabSize;
var prompts = Enumerable.Range(0, join > 0 ? 1 + join : batch)
    .Select(b => (IReadOnlyList<int>)Enumerable.Range(0, promptLength).Select(i => (7 * i + 13 * b) % vocab + 1).ToArray()).ToArray();
var generator = new Generator(decoder, _ => "", 0, []);
long released = int8 != 0 ? generator.KeepInt8Only() : bf16Compute != 0 ? generator.KeepBf16Only() : 0;
if (bf16Compute != 0 && released == 0) throw new InvalidOperationException("--bf16compute: this CPU has no AVX512-BF16");
var options = new GenerationOptions { MaxNewTokens = newTokens };
var rowOptions = Enumerable.Range(0, batch).Select(b => b > 0 && shortTokens > 0 ? options with { MaxNewTokens = shortTokens } : options).ToArray();
var times = new List<double>();
var cpu = new List<double>();
var ttfts = new List<double>();
GenerationResult[] results = [];
for (int it = 0; it < warmup + iters; it++)
{
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    double offered = -1, firstTokens = -1;
    if (join > 0)
    {
        int given = 0, started = 0;
        var joining = new ContinuousBatching
        {
            Rows = 1 + join,
            Capacity = promptLength + newTokens + join,
            Next = (_, promptRoom, newRoom) =>
            {
                if (given == join || promptRoom < promptLength) return null;
                if (given == 0) offered = clock.Elapsed.TotalMilliseconds;
                var next = prompts[1 + given++];
                return new GenerationJoin(next, options with { MaxNewTokens = Math.Min(newTokens, newRoom) }, given);
            },
        };
        var firsts = new bool[1 + join];
        results = generator.Generate(prompts[..1], [options], onToken: (row, _) =>
        {
            if (row == 0 || firsts[row]) return;
            firsts[row] = true;
            if (++started == join) firstTokens = clock.Elapsed.TotalMilliseconds;
        }, joining: joining);
        if (started < join) throw new InvalidOperationException($"{started} of the {join} joining prompts got a token");
    }
    else results = generator.Generate(prompts, rowOptions);
    clock.Stop();
    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
    Console.Error.WriteLine($"skald generate: {clock.Elapsed.TotalSeconds:F2} s{(join > 0 ? $", ttft {firstTokens - offered:F0} ms" : "")}{(it < warmup ? " (warm-up)" : "")}");
    if (it < warmup) continue;
    times.Add(clock.Elapsed.TotalSeconds);
    cpu.Add(cpuSeconds);
    if (join > 0) ttfts.Add(firstTokens - offered);
}
double mean = times.Average();
var line = new Dictionary<string, object>
{
    ["engine"] = int8 != 0 ? "skald-int8only" : bf16Compute != 0 ? "skald-bf16compute" : bf16 != 0 ? "skald-bf16" : "skald", ["released_mb"] = released >> 20, ["measurement"] = "generate", ["batch"] = batch, ["prompt"] = promptLength, ["new_tokens"] = newTokens,
    ["threads"] = threads, ["gemm"] = Blas.Backend.GetType().Name, ["iters"] = times.Count, ["s_per_run"] = Math.Round(mean, 3),
    ["best_s"] = Math.Round(times.Min(), 3), ["tokens_per_s"] = Math.Round(results.Sum(r => r.Ids.Length) / mean, 2),
    ["cpu_s_per_run"] = Math.Round(cpu.Average(), 3), ["short"] = shortTokens,
    ["first_ids"] = results[0].Ids.Take(8).ToArray(), ["peak_rss_mb"] = StatusMb("VmHWM:"), ["rss_mb"] = StatusMb("VmRSS:"),
};
if (join > 0)
{
    (line["batch"], line["join"], line["ttft_ms"], line["best_ttft_ms"]) = (1, join, Math.Round(ttfts.Average(), 1), Math.Round(ttfts.Min(), 1));
    line["tokens_per_s"] = Math.Round((1 + join) * newTokens / mean, 2);
}
Console.WriteLine(JsonSerializer.Serialize(line));
return 0;

// A field of /proc/self/status (VmHWM: peak resident set, VmRSS: now) in MB (0 where there is none).
static long StatusMb(string field)
{
    if (!File.Exists("/proc/self/status")) return 0;
    var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
    return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) >> 10;
}
