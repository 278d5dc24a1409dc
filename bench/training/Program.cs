// One full MNRL training step, timed: forward anchor + positive, loss, backward, clip, AdamW.
// Usage: dotnet run -c Release -- <model folder> [batch=32] [seq=32] [steps=5] [warmup=2] [dropout=0.1] [columns=2]
// (columns 3: anchor, positive, hard negative: the triplet step bench/torchsharp times against TorchSharp)
// Or: dotnet run -c Release -- --products [--rounds 3] [--rows 12288] [--block-chunks 24] [--own-blocks 4] (ProductProbe)
using System.Diagnostics;
using System.Text.Json;
using Skald.Bench.Training;
using Skald.Training;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;

if (args.Length > 0 && args[0] == "--products")
{
    ProductProbe.Run(args);
    return;
}
string folder = args.Length > 0 ? args[0] : "fixtures/models/.bench/bert-384";
int batch = args.Length > 1 ? int.Parse(args[1]) : 32;
int seq = args.Length > 2 ? int.Parse(args[2]) : 32;
int steps = args.Length > 3 ? int.Parse(args[3]) : 5;
int warmup = args.Length > 4 ? int.Parse(args[4]) : 2;
float dropout = args.Length > 5 ? float.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 0.1f;
int columns = args.Length > 6 ? int.Parse(args[6]) : 2;

var model = TrainableEncoder.Load(folder, dropout, seed: 1);
model.MaxSeqLength = seq;
// Texts long enough to be truncated to exactly `seq` tokens (specials included), so every row has seq tokens.
string[] words = ["hus", "bil", "sol", "vann", "skog", "fjell", "by", "tog", "bok", "mat", "vei", "hav", "natt", "dag", "lys"];
var rng = new Skald.Tensors.SkaldRandom(3);
string Text() => string.Join(' ', Enumerable.Range(0, 3 * seq).Select(_ => words[rng.Next(words.Length)]));
var batches = Enumerable.Range(0, 4).Select(_ => new TrainingBatch(
    Enumerable.Range(0, columns).Select(_ => Enumerable.Range(0, batch).Select(_ => Text()).ToArray()).ToArray())).ToArray();
foreach (var b in batches)
{
    foreach (var col in b.Columns)
    {
        if (model.Tokenize(col).Any(e => e.Ids.Length != seq)) throw new InvalidOperationException("texts too short for seq");
    }
}
var loss = new MultipleNegativesRankingLoss();
var opt = new AdamW(model.Parameters);
var times = new List<double>();
var cpuTimes = new List<double>();
var updateCpu = new List<double>(); // clip + AdamW, CPU s a step
var process = Process.GetCurrentProcess();
for (int s = 0; s < warmup + steps; s++)
{
    process.Refresh();
    var cpu0 = process.TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    model.ZeroGradients();
    float value = loss.ComputeAndBackward(model, batches[s % batches.Length]);
    process.Refresh();
    var cpu1 = process.TotalProcessorTime;
    GradientClipping.ClipGlobalNorm(model.Parameters, 1f);
    opt.Step(1e-5f);
    sw.Stop();
    process.Refresh();
    double stepCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
    if (s >= warmup)
    {
        times.Add(sw.Elapsed.TotalSeconds);
        cpuTimes.Add(stepCpu);
        updateCpu.Add((process.TotalProcessorTime - cpu1).TotalSeconds);
    }
    Console.Error.WriteLine($"step {s}: {sw.Elapsed.TotalSeconds:F3} s, loss {value:F4}, managed heap {GC.GetTotalMemory(false) / 1048576} MB, working set {Environment.WorkingSet / 1048576} MB");
}
double mean = times.Average();
long tokens = (long)columns * batch * seq;
var result = new
{
    impl = "skald", model = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), batch_pairs = batch, seq, columns, dropout,
    threads = Skald.Tensors.Parallelism.MaxThreads, gemm = Skald.Tensors.Gemm.Blas.Backend.GetType().Name,
    step_s = Math.Round(mean, 4), best_step_s = Math.Round(times.Min(), 4), tokens_per_s = Math.Round(tokens / mean, 1),
    step_cpu_s = Math.Round(cpuTimes.Average(), 4), clip_adamw_cpu_s = Math.Round(updateCpu.Average(), 4), tokens_per_cpu_s = Math.Round(tokens / cpuTimes.Average(), 1),
    peak_rss_mb = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
    parameters = model.Parameters.Sum(p => (long)p.Data.Length),
};
Console.WriteLine(JsonSerializer.Serialize(result));
