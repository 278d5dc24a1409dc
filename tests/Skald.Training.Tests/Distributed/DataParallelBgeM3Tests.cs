using System.Text.Json;
using Skald.Models.BgeM3;
using Skald.Training.Output;
using Skald.Training.Tests.Losses;

namespace Skald.Training.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 skald train</c> with <c>loss.type: bge_m3</c>: the trainer gives each rank two of the batch's four
/// rows, the loss crosses the ranks as FlagEmbedding's negatives_cross_device (BgeM3AcrossRanksTests checks its
/// arithmetic in process), and the logged loss of the first step is the mean of upstream's per-rank losses that
/// fixtures/training/make_bge_m3_reference.py computes for those rows (bge_m3_two_ranks.json, case cross_device);
/// rank 0 saves a BGE-M3 folder that loads again.
/// </summary>
public sealed class DataParallelBgeM3Tests
{
    private readonly string dir = InfraPaths.NewTempDir();

    [MpiFact]
    public void TwoRanksLogTheMeanOfFlagEmbeddingsPerDeviceLosses()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", "bge_m3_two_ranks.json")));
        var root = doc.RootElement;
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => c.EnumerateArray().Select(s => s.GetString()!).ToArray()).ToArray();
        string data = InfraPaths.WriteFile(dir, "rows.jsonl", string.Concat(Enumerable.Range(0, columns[0].Length).Select(i =>
            JsonSerializer.Serialize(new { query = columns[0][i], positive = columns[1][i], negative = columns[2][i] }) + "\n")));
        string config = InfraPaths.WriteFile(dir, "m3.yaml", $"""
            model:
              path: {BgeM3LossTests.Folder()}
              dropout: 0
            data:
              train: {data}
            loss:
              type: bge_m3
              temperature: {root.GetProperty("temperature").GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture)}
              query_max_len: 64
              passage_max_len: 64
            training:
              batch_size: {columns[0].Length}
              shuffle: false
              learning_rate: 1.0e-4
              max_steps: 2
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            """);
        var mpi = MpiRun.Run(2, dir, "train", "--config", config);
        Assert.True(mpi.ExitCode == 0, mpi.Stderr);
        Assert.Contains("world_size 2", mpi.Stderr.Split('\n').First(l => l.StartsWith("training ", StringComparison.Ordinal)));
        var losses = MetricsLog.ReadAll(Path.Combine(dir, "run", "metrics.jsonl")).Select(r => r["loss"]!.Value).ToArray();
        Assert.Equal(2, losses.Length);
        double expected = root.GetProperty("cross_device").GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(losses[0] - expected) <= 1e-5 * expected, $"step 1: loss {losses[0]}, PyTorch {expected}");
        using var saved = BgeM3Encoder.Load(Path.Combine(dir, "run", "final"));
        Assert.NotNull(saved.Encode(["Hvor ligger hytta?"])[0].Colbert);
    }
}
