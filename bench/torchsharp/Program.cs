using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

// Issue 16's TorchSharp peer: the same 12-layer BERT (HF BertModel keys, weights read from the bench model's
// model.safetensors) in TorchSharp-cpu 0.107 (libtorch 2.10), written as a .NET user would with TorchSharp's own ops
// (F.linear, F.layer_norm, F.gelu, F.scaled_dot_product_attention, optim.AdamW).
// Usage:
//   dotnet Skald.Bench.TorchSharp.dll [--threads 2] [--seconds 3] [--seqs 32,128] [--batch 32] MODEL_DIR...   (encode)
//   dotnet Skald.Bench.TorchSharp.dll --train [--threads 2] [--batch 32] [--seq 128] [--columns 3] [--steps 1]
//       [--warmup 1] [--dropout 0.1] MODEL_DIR   (one MNRL step: anchor, positive, hard negative; AdamW lr 2e-5)
// Prints one JSON line per measurement. Encode ids: 1000 + (b·131 + t·17) mod 20000, as bench/Skald.Bench.
var dirs = new List<string>();
bool train = false;
int threads = 2, batch = 32, seq = 128, columns = 3, steps = 1, warmup = 1;
double seconds = 3, dropout = 0.1;
int[] seqs = [32, 128];
var inv = System.Globalization.CultureInfo.InvariantCulture;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--train": train = true; break;
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--batch": batch = int.Parse(args[++i]); break;
        case "--seq": seq = int.Parse(args[++i]); break;
        case "--columns": columns = int.Parse(args[++i]); break;
        case "--steps": steps = int.Parse(args[++i]); break;
        case "--warmup": warmup = int.Parse(args[++i]); break;
        case "--dropout": dropout = double.Parse(args[++i], inv); break;
        case "--seconds": seconds = double.Parse(args[++i], inv); break;
        case "--seqs": seqs = [.. args[++i].Split(',').Select(int.Parse)]; break;
        default: dirs.Add(args[i]); break;
    }
}
torch.set_num_threads(threads);
torch.set_num_interop_threads(1);
var process = Process.GetCurrentProcess();
string engine = "torchsharp-0.107";

foreach (var dir in dirs)
{
    var bert = TorchBert.Load(dir);
    string model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
    if (!train)
    {
        foreach (int t in seqs)
        {
            var ids = new long[batch * t];
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < t; j++) ids[b * t + j] = 1000 + (b * 131 + j * 17) % 20000;
            }
            using var input = torch.tensor(ids, [batch, t]);
            void Forward()
            {
                using var mode = torch.inference_mode();
                using var scope = torch.NewDisposeScope();
                bert.Forward(input, 0.0);
            }
            Forward(); // warm-up
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            int iterations = 0;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds || iterations < 3)
            {
                Forward();
                iterations++;
            }
            double wall = sw.Elapsed.TotalSeconds;
            process.Refresh();
            double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                engine, model, hidden = bert.Hidden, batch, seq = t, threads,
                tokens_per_s = Math.Round((double)iterations * batch * t / wall),
                tokens_per_cpu_s = Math.Round((double)iterations * batch * t / cpu),
                peak_rss_mb = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
            }));
        }
    }
    else
    {
        TrainStep.Run(bert, engine, model, batch, seq, columns, steps, warmup, dropout, threads);
    }
}
