using System.Diagnostics;
using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

// Encoder throughput: tokens/s of the transformer forward pass on fixed synthetic ids, for each model folder given.
// Usage: dotnet run -c Release --project bench/Skald.Bench -- [--gemm openblas|managed] [--packed] [--batch N]
//   [--seconds S] [--seqs 32,128] MODEL_DIR...   (--packed: weights read pre-packed, as SentenceEncoder.Encode reads them)
// Prints wall-clock tokens/s and tokens per CPU second (the process's CPU time: comparable on a loaded machine).
// Ids are the same formula as fixtures/models/bench_torch.py and bench_onnx.mjs: 1000 + (b·131 + t·17) mod 20000.
var dirs = new List<string>();
bool packed = false;
int batch = 32;
double seconds = 5;
int[] seqs = [32, 128];
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--packed") packed = true;
    else if (args[i] == "--batch") batch = int.Parse(args[++i]);
    else if (args[i] == "--seconds") seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else if (args[i] == "--seqs") seqs = [.. args[++i].Split(',').Select(int.Parse)];
    else if (args[i] == "--gemm")
    {
        Blas.Backend = args[++i] switch
        {
            "openblas" => GemmBackends.TryCreateOpenBlas() ?? throw new InvalidOperationException("OpenBLAS not found"),
            "managed" => new ManagedGemm(),
            var other => throw new ArgumentException($"unknown backend {other}"),
        };
    }
    else
    {
        dirs.Add(args[i]);
    }
}
var results = new List<object>();
foreach (var dir in dirs)
{
    var encoder = ArchitectureRegistry.Load(dir);
    var tape = new Tape(recording: false) { PackWeights = packed };
    foreach (int seq in seqs)
    {
        var ids = new int[batch * seq];
        var mask = new int[batch * seq];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < seq; t++)
            {
                ids[b * seq + t] = 1000 + (b * 131 + t * 17) % 20000;
                mask[b * seq + t] = 1;
            }
        }
        var tokens = new TokenBatch(ids, mask, new int[batch * seq], batch, seq);
        void Forward()
        {
            tape.Reset();
            encoder.Forward(tape, tokens);
        }
        Forward(); // warm-up
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        int iterations = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || iterations < 3)
        {
            Forward();
            iterations++;
        }
        double tokensPerSecond = (double)iterations * batch * seq / sw.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        results.Add(new
        {
            engine = "skald-" + Blas.Backend.Name + (packed ? "+pk" : ""), model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            hidden = encoder.HiddenSize, batch, seq, tokens_per_s = Math.Round(tokensPerSecond),
            tokens_per_cpu_s = Math.Round((double)iterations * batch * seq / cpu),
        });
        Console.WriteLine(JsonSerializer.Serialize(results[^1]));
    }
}
