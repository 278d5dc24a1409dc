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
//   dotnet Skald.Bench.TorchSharp.dll --decoder [--threads 2] [--batch 8] [--seq 128] [--iters 2] MODEL_DIR
//       (the Qwen2.5-0.5B-shaped bench decoder, TorchQwen2: causal encode + mean pooling of bench/decoder's ids)
// Prints one JSON line per measurement. Encode ids: 1000 + (b·131 + t·17) mod 20000, as bench/Skald.Bench.
var dirs = new List<string>();
bool train = false, decoder = false;
int threads = 2, batch = 32, seq = 128, columns = 3, steps = 1, warmup = 1, iters = 2;
int? batchOption = null;
double seconds = 3, dropout = 0.1;
int[] seqs = [32, 128];
var inv = System.Globalization.CultureInfo.InvariantCulture;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--train": train = true; break;
        case "--decoder": decoder = true; break;
        case "--iters": iters = int.Parse(args[++i]); break;
        case "--threads": threads = int.Parse(args[++i]); break;
        case "--batch": batchOption = batch = int.Parse(args[++i]); break;
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
// libtorch's OpenMP spins while waiting by default; on a shared 2-core machine that costs it several times its step
// time (measured: 44 s vs 2.4 s for a small step at load 30). PASSIVE, as bench/training/bench_torch_train.py sets it
// for PyTorch; libgomp reads it from the C environment when it loads, hence setenv before the first torch call.
if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null) NativeEnv.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
torch.set_num_threads(threads);
torch.set_num_interop_threads(1);
var process = Process.GetCurrentProcess();
string engine = "torchsharp-0.107";

foreach (var dir in dirs)
{
    if (decoder)
    {
        DecoderEncode.Run(dir, engine, threads, batchOption ?? 8, seq, iters);
        continue;
    }
    var bert = TorchBert.Load(dir);
    string model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
    if (!train)
    {
        double? probe = ProbeDiff(bert, dir);
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
                probe_max_abs_diff = probe,
            }));
        }
    }
    else
    {
        TrainStep.Run(bert, engine, model, batch, seq, columns, steps, warmup, dropout, threads);
    }
}

// Largest |difference| between this model's hidden states and the bench model's probe.json (written by the PyTorch
// exporter) on the probe's unpadded rows, first 8 channels: shows the peer computes the same function as Skald.
static double? ProbeDiff(TorchBert bert, string dir)
{
    string path = Path.Combine(dir, "probe.json");
    if (!File.Exists(path)) return null;
    using var doc = JsonDocument.Parse(File.ReadAllText(path));
    var root = doc.RootElement;
    var rows = root.GetProperty("input_ids").EnumerateArray().ToArray();
    var masks = root.GetProperty("attention_mask").EnumerateArray().ToArray();
    var expected = root.GetProperty("last_hidden_state_first8").EnumerateArray().ToArray();
    double max = 0;
    for (int r = 0; r < rows.Length; r++)
    {
        if (masks[r].EnumerateArray().Any(m => m.GetInt32() == 0)) continue; // no padding path in this peer
        long[] ids = [.. rows[r].EnumerateArray().Select(x => x.GetInt64())];
        using var mode = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        var hidden = bert.Forward(torch.tensor(ids, [1, ids.Length]), 0.0)[0].narrow(1, 0, 8).contiguous().data<float>().ToArray();
        var want = expected[r].EnumerateArray().SelectMany(t => t.EnumerateArray().Select(x => x.GetDouble())).ToArray();
        for (int i = 0; i < want.Length; i++) max = Math.Max(max, Math.Abs(hidden[i] - want[i]));
    }
    return Math.Round(max, 7);
}
