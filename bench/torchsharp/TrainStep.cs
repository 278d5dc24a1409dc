using System.Diagnostics;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

/// <summary>
/// One sentence-transformers MultipleNegativesRankingLoss step in TorchSharp, as bench/training runs it in Skald:
/// forward of every column (anchor, positive, hard negatives; dropout in train mode), mean pooling, cosine scores × 20
/// of each anchor against all positives and negatives of the batch, cross-entropy, backward, global-norm clipping at
/// 1.0, AdamW (lr 2e-5, weight decay 0.01 except biases and LayerNorm weights, HF's no-decay groups).
/// </summary>
static class TrainStep
{
    public static void Run(TorchBert bert, string engine, string model, int batch, int seq, int columns, int steps,
        int warmup, double dropout, int threads)
    {
        static bool NoDecay(string key) => key.EndsWith(".bias", StringComparison.Ordinal) || key.Contains("LayerNorm");
        var decay = bert.Parameters.Where(kv => !NoDecay(kv.Key)).Select(kv => kv.Value).ToList();
        var noDecay = bert.Parameters.Where(kv => NoDecay(kv.Key)).Select(kv => kv.Value).ToList();
        var optimizer = torch.optim.AdamW(
            [new AdamW.ParamGroup(decay, weight_decay: 0.01), new AdamW.ParamGroup(noDecay, weight_decay: 0.0)], lr: 2e-5);
        var all = bert.Parameters.Values.ToList();
        // Ids of column k, row r, position j (no padding: every row has seq tokens, as Skald's bench truncates to seq).
        var inputs = Enumerable.Range(0, columns).Select(k =>
        {
            var ids = new long[batch * seq];
            for (int r = 0; r < batch; r++)
            {
                for (int j = 0; j < seq; j++) ids[r * seq + j] = 1000 + (r * 131 + j * 17 + k * 7919) % 20000;
            }
            return torch.tensor(ids, [batch, seq]);
        }).ToArray();
        using var labels = torch.arange(batch, dtype: ScalarType.Int64);
        var process = Process.GetCurrentProcess();
        var wall = new List<double>();
        var cpu = new List<double>();
        for (int s = 0; s < warmup + steps; s++)
        {
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            float lossValue;
            using (var scope = torch.NewDisposeScope())
            {
                optimizer.zero_grad();
                // [B, C] mean-pooled, L2-normalised embeddings per column.
                var pooled = inputs.Select(ids => F.normalize(bert.Forward(ids, dropout).mean([1]), p: 2, dim: 1)).ToArray();
                var candidates = torch.cat(pooled[1..], 0); // [(columns - 1)·B, C]
                var scores = pooled[0].matmul(candidates.t()) * 20.0; // [B, (columns - 1)·B]
                var loss = F.cross_entropy(scores, labels);
                loss.backward();
                torch.nn.utils.clip_grad_norm_(all, 1.0);
                optimizer.step();
                lossValue = loss.item<float>();
            }
            sw.Stop();
            process.Refresh();
            double stepCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            if (s >= warmup)
            {
                wall.Add(sw.Elapsed.TotalSeconds);
                cpu.Add(stepCpu);
            }
            Console.Error.WriteLine($"torchsharp step {s}: {sw.Elapsed.TotalSeconds:F3} s (cpu {stepCpu:F2} s), loss {lossValue:F4}");
        }
        double step = wall.Average(), stepCpuMean = cpu.Average();
        long tokens = (long)columns * batch * seq;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine, measurement = "train_step", model, hidden = bert.Hidden, batch, seq, columns, dropout, threads,
            step_s = Math.Round(step, 4), step_cpu_s = Math.Round(stepCpuMean, 4),
            tokens_per_s = Math.Round(tokens / step, 1), tokens_per_cpu_s = Math.Round(tokens / stepCpuMean, 1),
            peak_rss_mb = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
            parameters = all.Sum(x => x.numel()),
        }));
    }
}
