using System.Text.Json;
using Skald.Distributed;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// <see cref="BgeM3Loss"/> over two ranks (two threads in one process, <see cref="ThreadRanks"/>), each with its shard
/// of four rows, against fixtures/training/make_bge_m3_reference.py's re-statement of FlagEmbedding's per-device
/// computation under negatives_cross_device (bge_m3_two_ranks.json): the dense term over every rank's passages, the
/// sparse, ColBERT and ensemble terms and self-distillation over the rank's own; each rank's terms, the mean of the
/// ranks' losses, and the summed gradients of every parameter (the gradient of that mean) within 1e-5. The reference
/// checks that these differ from one process's step over the four rows. Without unified_finetuning only the dense term
/// remains, which spans the ranks: two ranks then equal one process (as mnrl under mpirun).
/// </summary>
public sealed class BgeM3AcrossRanksTests
{
    [Theory]
    [InlineData("cross_device")]
    [InlineData("cross_device_self_distill")]
    [InlineData("cross_device_kd_kl_div")]
    [InlineData("cross_device_kd_m3_self_distill")]
    [InlineData("no_in_batch_neg")]
    public void TwoRanksEqualFlagEmbeddingsPerDeviceLosses(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", "bge_m3_two_ranks.json")));
        var root = doc.RootElement;
        var r = root.GetProperty(name);
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => c.EnumerateArray().Select(s => s.GetString()!).ToArray()).ToArray();
        float[]? teacher = r.GetProperty("teacher_scores").ValueKind == JsonValueKind.Null ? null
            : [.. r.GetProperty("teacher_scores").EnumerateArray().Select(x => x.GetSingle())];
        int world = root.GetProperty("world_size").GetInt32(), rows = columns[0].Length, shard = rows / world, width = columns.Length - 1;
        var ranks = ThreadRanks.Run(world, comm =>
        {
            var model = TrainableEncoder.Load(BgeM3LossTests.Folder(), dropout: 0f);
            model.Communicator = comm;
            var loss = new BgeM3Loss(model, root.GetProperty("temperature").GetSingle(), selfDistill: r.GetProperty("use_self_distill").GetBoolean(),
                m3KdLoss: r.GetProperty("kd_loss_type").GetString() == "m3_kd_loss");
            model.ZeroGradients();
            int start = comm.Rank * shard;
            var batch = new TrainingBatch([.. columns.Select(c => (IReadOnlyList<string>)c[start..(start + shard)])],
                teacher?[(start * width)..((start + shard) * width)]) { NoInBatchNegatives = r.GetProperty("no_in_batch_neg").GetBoolean() };
            float value = loss.ComputeAndBackward(model, batch);
            return (Model: model, Loss: loss, Value: value);
        });

        var misses = new List<string>();
        double expected = r.GetProperty("loss").GetDouble();
        var rankTerms = r.GetProperty("rank_terms").EnumerateArray().ToArray();
        for (int k = 0; k < world; k++)
        {
            // every rank returns the mean over ranks (rank 0 logs it); its terms are its own
            if (!(Math.Abs(ranks[k].Value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)))) misses.Add($"rank {k}: loss {ranks[k].Value}, PyTorch {expected}");
            BgeM3LossTests.CheckTerms(rankTerms[k], ranks[k].Loss, misses);
        }
        // what the trainer's reducer does: every parameter's gradient summed over the ranks
        var parameters = ranks.Select(x => x.Model.Parameters.Concat(x.Loss.Parameters).ToArray()).ToArray();
        for (int k = 1; k < world; k++)
        {
            for (int i = 0; i < parameters[0].Length; i++)
                System.Numerics.Tensors.TensorPrimitives.Add(parameters[0][i].Grad.Span, parameters[k][i].Grad.Span, parameters[0][i].Grad.Span);
        }
        BgeM3LossTests.CheckGradients(r.GetProperty("gradients"), parameters[0], misses);
        Assert.True(misses.Count == 0, string.Join("\n", misses.Take(40)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("kl_div")]
    [InlineData("m3_kd_loss")]
    public void WithoutUnifiedFinetuningTwoRanksEqualOneProcess(string? kdLossType)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Skald.Tests.Repository.Root, "fixtures", "training", "bge_m3_two_ranks.json")));
        var root = doc.RootElement;
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => c.EnumerateArray().Select(s => s.GetString()!).ToArray()).ToArray();
        float[]? teacher = kdLossType is null ? null
            : [.. root.GetProperty("cross_device_kd_kl_div").GetProperty("teacher_scores").EnumerateArray().Select(x => x.GetSingle())];
        int rows = columns[0].Length, width = columns.Length - 1;
        (TrainableEncoder Model, float Value) Step(ICommunicator comm, int start, int count)
        {
            var model = TrainableEncoder.Load(BgeM3LossTests.Folder(), dropout: 0f);
            model.Communicator = comm;
            var loss = new BgeM3Loss(model, 0.02f, unified: false, m3KdLoss: kdLossType == "m3_kd_loss");
            model.ZeroGradients();
            var batch = new TrainingBatch([.. columns.Select(c => (IReadOnlyList<string>)c[start..(start + count)])], teacher?[(start * width)..((start + count) * width)]);
            return (model, loss.ComputeAndBackward(model, batch));
        }
        var one = Step(SingleProcess.Instance, 0, rows);
        var two = ThreadRanks.Run(2, comm => Step(comm, comm.Rank * rows / 2, rows / 2));
        Assert.All(two, r => Assert.True(Math.Abs(r.Value - one.Value) <= 1e-5 * Math.Max(1, one.Value), $"{r.Value} vs one process {one.Value}"));
        for (int i = 0; i < one.Model.Parameters.Count; i++)
        {
            var want = one.Model.Parameters[i].Grad.ToArray();
            double scale = Math.Max(1, want.Max(Math.Abs));
            float[] a = two[0].Model.Parameters[i].Grad.ToArray(), b = two[1].Model.Parameters[i].Grad.ToArray();
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j] - (a[j] + b[j])) <= 1e-5 * scale, $"{one.Model.Parameters[i].Name}[{j}]: {a[j] + b[j]} vs one process {want[j]}");
        }
    }
}
