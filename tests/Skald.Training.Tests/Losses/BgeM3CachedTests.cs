using System.Text.Json;
using Skald.Distributed;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// <see cref="BgeM3Loss"/> through GradCache (<see cref="BgeM3Loss.MiniBatchSize"/>, <c>loss.cached: true</c>): one
/// step over bge_m3_step.json's three rows in chunks of 1, 2 (an uneven last chunk) and 3 rows gives the loss, terms
/// and every parameter's gradient (transformer and both heads) of the plain PyTorch re-implementation of FlagEmbedding's
/// M3 model (fixtures/training/make_bge_m3_reference.py) within 1e-5, and of the uncached step on the same batch; with
/// unified fine-tuning, self-distillation, an m3_kd_loss teacher and without in-batch negatives. Over two ranks
/// (<see cref="ThreadRanks"/>) the cached step equals the reference's per-device computation (bge_m3_two_ranks.json),
/// as the uncached one does (<see cref="BgeM3AcrossRanksTests"/>).
/// </summary>
public sealed class BgeM3CachedTests
{
    private static readonly string Root = Skald.Tests.Repository.Root;

    [Theory]
    [InlineData("unified", 1)]
    [InlineData("unified", 2)]
    [InlineData("self_distill", 2)]
    [InlineData("self_distill", 3)]
    [InlineData("kd_m3_self_distill", 1)]
    [InlineData("no_in_batch_neg", 2)]
    public void ACachedStepEqualsFlagEmbeddingAndTheUncachedStep(string name, int miniBatchSize)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "bge_m3_step.json")));
        var root = doc.RootElement;
        var r = root.GetProperty(name);
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(s => s.GetString()!)]).ToArray();
        float[]? teacher = r.GetProperty("teacher_scores").ValueKind == JsonValueKind.Null ? null
            : [.. r.GetProperty("teacher_scores").EnumerateArray().Select(x => x.GetSingle())];
        (TrainableEncoder Model, BgeM3Loss Loss, float Value) Step(int? size)
        {
            var model = TrainableEncoder.Load(BgeM3LossTests.Folder(), dropout: 0f);
            var loss = new BgeM3Loss(model, root.GetProperty("temperature").GetSingle(), selfDistill: r.GetProperty("use_self_distill").GetBoolean(),
                m3KdLoss: r.GetProperty("kd_loss_type").GetString() == "m3_kd_loss") { MiniBatchSize = size };
            model.ZeroGradients();
            var batch = new TrainingBatch(columns, teacher) { NoInBatchNegatives = r.GetProperty("no_in_batch_neg").GetBoolean() };
            return (model, loss, loss.ComputeAndBackward(model, batch));
        }
        var cached = Step(miniBatchSize);
        BgeM3LossTests.AssertMatches(r, cached.Loss, cached.Model, cached.Value);

        var plain = Step(null);
        Assert.True(Math.Abs(cached.Value - plain.Value) <= 1e-5 * Math.Max(1, Math.Abs(plain.Value)), $"cached {cached.Value}, uncached {plain.Value}");
        var want = plain.Model.Parameters.Concat(plain.Loss.Parameters).ToArray();
        var got = cached.Model.Parameters.Concat(cached.Loss.Parameters).ToArray();
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            float[] a = want[i].Grad.ToArray(), b = got[i].Grad.ToArray();
            double scale = Math.Max(1, a.Max(Math.Abs));
            for (int j = 0; j < a.Length; j++)
                Assert.True(Math.Abs(a[j] - b[j]) <= 1e-5 * scale, $"{want[i].Name}[{j}]: cached {b[j]}, uncached {a[j]}");
        }
    }

    [Theory]
    [InlineData("cross_device_self_distill")]
    [InlineData("cross_device_kd_m3_self_distill")]
    public void ACachedStepOverTwoRanksEqualsFlagEmbeddingsPerDeviceLosses(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fixtures", "training", "bge_m3_two_ranks.json")));
        var root = doc.RootElement;
        var r = root.GetProperty(name);
        var columns = root.GetProperty("columns").EnumerateArray().Select(c => c.EnumerateArray().Select(s => s.GetString()!).ToArray()).ToArray();
        float[]? teacher = r.GetProperty("teacher_scores").ValueKind == JsonValueKind.Null ? null
            : [.. r.GetProperty("teacher_scores").EnumerateArray().Select(x => x.GetSingle())];
        int world = root.GetProperty("world_size").GetInt32(), shard = columns[0].Length / world, width = columns.Length - 1;
        var ranks = ThreadRanks.Run(world, comm =>
        {
            var model = TrainableEncoder.Load(BgeM3LossTests.Folder(), dropout: 0f);
            model.Communicator = comm;
            var loss = new BgeM3Loss(model, root.GetProperty("temperature").GetSingle(), selfDistill: r.GetProperty("use_self_distill").GetBoolean(),
                m3KdLoss: r.GetProperty("kd_loss_type").GetString() == "m3_kd_loss") { MiniBatchSize = 1 };
            model.ZeroGradients();
            int start = comm.Rank * shard;
            var batch = new TrainingBatch([.. columns.Select(c => (IReadOnlyList<string>)c[start..(start + shard)])],
                teacher?[(start * width)..((start + shard) * width)]);
            return (Model: model, Loss: loss, Value: loss.ComputeAndBackward(model, batch));
        });
        var misses = new List<string>();
        double expected = r.GetProperty("loss").GetDouble();
        var rankTerms = r.GetProperty("rank_terms").EnumerateArray().ToArray();
        for (int k = 0; k < world; k++)
        {
            if (!(Math.Abs(ranks[k].Value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)))) misses.Add($"rank {k}: loss {ranks[k].Value}, PyTorch {expected}");
            BgeM3LossTests.CheckTerms(rankTerms[k], ranks[k].Loss, misses);
        }
        var parameters = ranks.Select(x => x.Model.Parameters.Concat(x.Loss.Parameters).ToArray()).ToArray();
        for (int k = 1; k < world; k++)
        {
            for (int i = 0; i < parameters[0].Length; i++)
                System.Numerics.Tensors.TensorPrimitives.Add(parameters[0][i].Grad.Span, parameters[k][i].Grad.Span, parameters[0][i].Grad.Span);
        }
        BgeM3LossTests.CheckGradients(r.GetProperty("gradients"), parameters[0], misses);
        Assert.True(misses.Count == 0, string.Join("\n", misses.Take(40)));
    }

    [Fact]
    public void WithDropoutEachChunkIsReplayedWithItsFirstPassMasks()
    {
        // one chunk a column draws the uncached pass's masks in the same order, so the steps are equal only when the
        // recorded replay restores the generator state of each chunk's unrecorded first pass
        IReadOnlyList<string>[] columns = [["Hvor ligger hytta?", "Når går ferja?", "Kva kostar billetten?"],
            ["Hytta ligger ved sjøen.", "Ferja går kvar time.", "Billetten kostar hundre kroner."], ["Det regner.", "Bussen er sein.", "Kaffen er kald."]];
        float[][] Step(int? size)
        {
            var model = TrainableEncoder.Load(BgeM3LossTests.Folder(), dropout: 0.1f, seed: 7);
            var loss = new BgeM3Loss(model, 0.05f, selfDistill: true) { MiniBatchSize = size };
            model.ZeroGradients();
            loss.ComputeAndBackward(model, new TrainingBatch(columns));
            return [.. model.Parameters.Concat(loss.Parameters).Select(p => p.Grad.ToArray())];
        }
        var plain = Step(null);
        var cached = Step(3);
        for (int i = 0; i < plain.Length; i++)
        {
            double scale = Math.Max(1, plain[i].Max(Math.Abs));
            for (int j = 0; j < plain[i].Length; j++)
                Assert.True(Math.Abs(plain[i][j] - cached[i][j]) <= 1e-5 * scale, $"parameter {i}[{j}]: cached {cached[i][j]}, uncached {plain[i][j]}");
        }
    }

    [Fact]
    public void AMiniBatchBelowOneIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new BgeM3Loss(TrainableEncoder.Load(BgeM3LossTests.Folder(), dropout: 0f)) { MiniBatchSize = 0 });
}
