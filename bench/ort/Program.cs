using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// ONNX Runtime (C#) encoder throughput on the bench models' model.onnx (fixtures/models/export_bench_models.py), the
// same ids and batch as bench/Skald.Bench: 1000 + (b·131 + t·17) mod 20000, full masks, batch 32, seq 32 and 128.
// Usage: dotnet Skald.Bench.Ort.dll [--threads 2] [--seconds S] [--batch N] MODEL_DIR...   (a model.onnx in each)
int threads = 2, batch = 32;
double seconds = 5;
var dirs = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i]);
    else if (args[i] == "--batch") batch = int.Parse(args[++i]);
    else if (args[i] == "--seconds") seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else dirs.Add(args[i]);
}
foreach (var dir in dirs)
{
    using var options = new SessionOptions
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };
    string file = Path.Combine(dir, "model.onnx");
    using var session = new InferenceSession(file, options);
    foreach (int seq in new[] { 32, 128 })
    {
        var ids = new DenseTensor<long>([batch, seq]);
        var mask = new DenseTensor<long>([batch, seq]);
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
        void Run()
        {
            using var _ = session.Run(feeds);
        }
        Run(); // warm-up
        int iterations = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || iterations < 3)
        {
            Run();
            iterations++;
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = $"onnxruntime-cs-{Path.GetFileNameWithoutExtension(file)}", model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            threads, batch, seq, tokens_per_s = Math.Round((double)iterations * batch * seq / sw.Elapsed.TotalSeconds),
        }));
    }
}
