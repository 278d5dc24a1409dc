using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Training.Losses;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// PyLate's Contrastive and Distillation losses on fixtures/models/colbert-bert-tiny against torch autograd
/// (fixtures/training/make_colbert_reference.py: PyLate's collator, forward, masks, scores and losses re-implemented in
/// float64): one step's loss and the gradient of every parameter (the transformer's and the Dense projection's) within
/// 1e-5 of each tensor's largest entry (or of 1). The cached contrastive loss (PyLate's CachedContrastive, which the
/// script re-states and checks against the same gradients) in chunks of 1 and 3 rows meets the same reference, and
/// its second pass replays the first pass's dropout.
/// </summary>
public sealed class ColbertLossTests
{
    private static readonly string Fixtures = Path.Combine(Skald.Tests.Repository.Root, "fixtures");

    [Fact]
    public void ContrastiveMatchesPyTorch() => MatchesPyTorch("contrastive", new ColbertContrastiveLoss(), withLabels: false);

    [Fact]
    public void DistillationMatchesPyTorch() => MatchesPyTorch("distillation", new ColbertDistillationLoss(), withLabels: true);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void CachedContrastiveMatchesPyTorch(int miniBatch) =>
        MatchesPyTorch("contrastive", new ColbertContrastiveLoss { MiniBatchSize = miniBatch }, withLabels: false);

    [Fact]
    public void CachedContrastiveReplaysTheFirstPassDropout()
    {
        // One chunk per column draws the dropout masks in the uncached order, so the two must agree exactly when the
        // second pass restores each chunk's generator state (and not when it draws new masks).
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert.json")));
        var columns = doc.RootElement.GetProperty("contrastive").GetProperty("columns").EnumerateArray()
            .Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
        var batch = new TrainingBatch(columns);
        using var encoder = SentenceEncoder.LoadLateInteraction(Path.Combine(Fixtures, "models", "colbert-bert-tiny"));
        (float Loss, float[][] Grads, ulong[] After) Run(ColbertLoss loss, float dropout)
        {
            var model = TrainableEncoder.For(encoder, dropout, seed: 11);
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, batch);
            return (value, [.. model.Parameters.Select(p => p.Grad.ToArray())], model.Random.SaveState());
        }
        var plain = Run(new ColbertContrastiveLoss(), 0.2f);
        var cached = Run(new ColbertContrastiveLoss { MiniBatchSize = batch.Count }, 0.2f);
        var still = Run(new ColbertContrastiveLoss(), 0f);
        Assert.True(Math.Abs(plain.Loss - still.Loss) > 1e-3, "dropout 0.2 should change the loss"); // the masks matter here
        Assert.Equal(plain.Loss, cached.Loss, 5);
        Assert.Equal(plain.After, cached.After); // the generator continues from where the first pass left it
        for (int k = 0; k < plain.Grads.Length; k++)
        {
            double scale = Math.Max(1, plain.Grads[k].Max(Math.Abs));
            for (int i = 0; i < plain.Grads[k].Length; i++)
                Assert.True(Math.Abs(plain.Grads[k][i] - cached.Grads[k][i]) <= 1e-5 * scale, $"parameter {k}[{i}]: {plain.Grads[k][i]} vs {cached.Grads[k][i]}");
        }
    }

    private static void MatchesPyTorch(string name, ColbertLoss loss, bool withLabels)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert.json")));
        var r = doc.RootElement.GetProperty(name);
        var columns = r.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
        float[]? labels = withLabels ? [.. r.GetProperty("labels").EnumerateArray().Select(x => x.GetSingle())] : null;
        using var encoder = SentenceEncoder.LoadLateInteraction(Path.Combine(Fixtures, "models", "colbert-bert-tiny"));
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        model.ZeroGradients();
        float value = loss.ComputeAndBackward(model, new TrainingBatch(columns, labels));
        double expected = r.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(value - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {value}, PyTorch {expected}");

        using var grads = Checkpoint.OpenFile(Path.Combine(Fixtures, "training", $"colbert_{name}_grads.safetensors"));
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.Contains("1_Dense/linear.weight", byName.Keys);
        int compared = 0;
        foreach (string key in grads.Keys)
        {
            Assert.True(byName.TryGetValue(key, out var p), $"no parameter {key}");
            var want = grads.Read(key, grads.Shape(key));
            var actual = p!.Grad.Span;
            Assert.Equal(want.Length, actual.Length);
            double scale = Math.Max(1, want.Max(Math.Abs));
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(want[i] - actual[i]) <= 1e-5 * scale, $"{key}[{i}]: PyTorch {want[i]}, Skald {actual[i]}");
            compared++;
        }
        Assert.Equal(byName.Count, compared); // every trained parameter has a reference gradient
    }
}
