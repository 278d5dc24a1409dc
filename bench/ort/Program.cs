using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// ONNX Runtime in C# (Microsoft.ML.OnnxRuntime), the peer of bench/Skald.Bench: tokens/s of the exported BERT
// (model.onnx from fixtures/models/export_bench_models.py) on the same synthetic ids, batch and thread count.
// Usage: dotnet run -c Release --project bench/ort -- [--threads 2] [--batch 32] [--seconds 5] [--seqs 32,128] MODEL_DIR...
// Session: intra-op threads = --threads, inter-op 1, sequential, all graph optimisations, no spinning (so the CPU
// time printed next to the wall time is work, not waiting). Ids: 1000 + (b·131 + t·17) mod 20000, mask all ones.
var dirs = new List<string>();
int threads = 2, batch = 32;
double seconds = 5;
int[] seqs = [32, 128];
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--batch": batch = int.Parse(args[++i]); break;
        case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--seqs": seqs = [.. args[++i].Split(',').Select(int.Parse)]; break;
        default: dirs.Add(args[i]); break;
    }
}
foreach (var dir in dirs)
{
    using var options = new SessionOptions
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
    options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
    using var session = new InferenceSession(Path.Combine(dir, "model.onnx"), options);
    bool hasTypes = session.InputMetadata.ContainsKey("token_type_ids");
    foreach (int seq in seqs)
    {
        var ids = new DenseTensor<long>([batch, seq]);
        var mask = new DenseTensor<long>([batch, seq]);
        var types = new DenseTensor<long>([batch, seq]);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < seq; t++)
            {
                ids[b, t] = 1000 + (b * 131 + t * 17) % 20000;
                mask[b, t] = 1;
            }
        }
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
        };
        if (hasTypes) feeds.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", types));
        void Run()
        {
            using var outputs = session.Run(feeds);
        }
        Run();
        Run(); // warm-up
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        int iterations = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || iterations < 3)
        {
            Run();
            iterations++;
        }
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = "onnxruntime-csharp " + typeof(InferenceSession).Assembly.GetName().Version?.ToString(3),
            model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            threads, batch, seq, iterations, seconds = Math.Round(wall, 3),
            tokens_per_s = Math.Round((double)iterations * batch * seq / wall),
            tokens_per_cpu_s = Math.Round((double)iterations * batch * seq / cpu),
        }));
    }
}
