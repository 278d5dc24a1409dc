using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// ONNX Runtime in C# (Microsoft.ML.OnnxRuntime), the peer of bench/Skald.Bench: tokens/s of the exported BERT
// (model.onnx from fixtures/models/export_bench_models.py) on the same synthetic ids, batch and thread count.
// Usage: dotnet run -c Release --project bench/ort -- [--threads 2] [--batch 32] [--seconds 5] [--seqs 32,128]
//        [--onnx model.int8.onnx] MODEL_DIR...
// --onnx names the graph file in each folder (default model.onnx); for any other file (the int8 graph written by
// fixtures/models/quantize_onnx.py) the line adds min_cosine_vs_f32: the smallest cosine over the first batch between
// its mean-pooled states and model.onnx's.
// Session: intra-op threads = --threads, inter-op 1, sequential, all graph optimisations, no spinning (so the CPU
// time printed next to the wall time is work, not waiting). Ids: 1000 + (b·131 + t·17) mod 20000, mask all ones.
var dirs = new List<string>();
int threads = 2, batch = 32;
double seconds = 5;
int[] seqs = [32, 128];
string file = "model.onnx";
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--batch": batch = int.Parse(args[++i]); break;
        case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--seqs": seqs = [.. args[++i].Split(',').Select(int.Parse)]; break;
        case "--onnx": file = args[++i]; break;
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
    using var session = new InferenceSession(Path.Combine(dir, file), options);
    using var reference = file == "model.onnx" ? null : new InferenceSession(Path.Combine(dir, "model.onnx"), options);
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
        double? minCosine = reference is null ? null : MinCosine(session, reference, feeds, batch, seq);
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
            onnx_file = file,
            model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            threads, batch, seq, iterations, seconds = Math.Round(wall, 3),
            tokens_per_s = Math.Round((double)iterations * batch * seq / wall),
            tokens_per_cpu_s = Math.Round((double)iterations * batch * seq / cpu),
            min_cosine_vs_f32 = minCosine is { } c ? Math.Round(c, 5) : (double?)null,
        }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
    }
}

// The smallest cosine, over the batch, between the two sessions' mean-pooled last hidden states (mask all ones).
static double MinCosine(InferenceSession a, InferenceSession b, List<NamedOnnxValue> feeds, int batch, int seq)
{
    using var ra = a.Run(feeds);
    using var rb = b.Run(feeds);
    var ya = ra.First().AsTensor<float>();
    var yb = rb.First().AsTensor<float>();
    int hidden = ya.Dimensions[2];
    double min = 1;
    for (int i = 0; i < batch; i++)
    {
        var pa = new double[hidden];
        var pb = new double[hidden];
        for (int t = 0; t < seq; t++)
        {
            for (int h = 0; h < hidden; h++)
            {
                pa[h] += ya[i, t, h];
                pb[h] += yb[i, t, h];
            }
        }
        double dot = 0, na = 0, nb = 0;
        for (int h = 0; h < hidden; h++)
        {
            dot += pa[h] * pb[h];
            na += pa[h] * pa[h];
            nb += pb[h] * pb[h];
        }
        min = Math.Min(min, dot / Math.Sqrt(na * nb));
    }
    return min;
}
