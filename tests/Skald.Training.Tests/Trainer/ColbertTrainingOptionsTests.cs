using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Data;
using Skald.Retrieval.Scoring;
using Skald.Retrieval.Search;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// What a ColBERT run takes beside the plain losses: <c>model.freeze_transformer</c> (only the Dense projection
/// trains: its gradient is PyTorch's, its first AdamW step is torch's formula over that gradient, the transformer's
/// weights stay bit for bit), <c>loss.cached</c> for colbert_contrastive, and evaluation during training on
/// <c>data.eval</c> rows whose numbers are those of the saved folder evaluated by the inference engine.
/// </summary>
public sealed class ColbertTrainingOptionsTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string Colbert = CorePaths.FixtureModel("colbert-bert-tiny");
    private static readonly string Fixtures = Path.Combine(Skald.Tests.Repository.Root, "fixtures");
    private const string Dense = "1_Dense/linear.weight";

    [Fact]
    public void AFrozenTransformerLeavesTheDenseToTakeTheReferenceStep()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert.json")));
        var r = doc.RootElement.GetProperty("contrastive");
        var columns = r.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
        using var encoder = SentenceEncoder.LoadLateInteraction(Colbert);
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        model.FreezeTransformer();
        var dense = Assert.Single(model.Parameters);
        Assert.Equal(Dense, dense.Name);
        var transformer = encoder.Transformer.Parameters.ToDictionary(p => p.Name, p => p.Data.ToArray());
        var weight = dense.Data.ToArray();

        model.ZeroGradients();
        float loss = new ColbertContrastiveLoss().ComputeAndBackward(model, new TrainingBatch(columns));
        Assert.Equal(r.GetProperty("loss").GetDouble(), loss, 5);
        using var grads = Checkpoint.OpenFile(Path.Combine(Fixtures, "training", "colbert_contrastive_grads.safetensors"));
        var g = grads.Read(Dense, grads.Shape(Dense));
        double scale = g.Max(Math.Abs);
        for (int i = 0; i < g.Length; i++) Assert.True(Math.Abs(g[i] - dense.Grad.Span[i]) <= 1e-5 * scale, $"{Dense}[{i}]: PyTorch {g[i]}, Skald {dense.Grad.Span[i]}");

        const float lr = 1e-3f, decay = 0.01f;
        new AdamW(model.Parameters, weightDecay: decay).Step(lr);
        foreach (var p in encoder.Transformer.Parameters) Assert.Equal(transformer[p.Name], p.Data.ToArray());
        int compared = 0;
        for (int i = 0; i < g.Length; i++)
        {
            if (Math.Abs(g[i]) < 1e-3 * scale) continue; // torch's first step is lr·sign(g): a gradient near 0 may turn on rounding
            double want = weight[i] * (1 - (double)lr * decay) - lr * g[i] / (Math.Abs(g[i]) + 1e-8); // torch.optim.AdamW, step 1
            Assert.True(Math.Abs(want - dense.Data.Span[i]) <= 1e-6, $"{Dense}[{i}]: torch {want}, Skald {dense.Data.Span[i]}");
            compared++;
        }
        Assert.True(compared > g.Length / 2, $"only {compared} of {g.Length} entries compared");
    }

    private string Triplets(string name, int rows, int offset) => InfraPaths.WriteFile(dir, name, string.Concat(Enumerable.Range(offset, rows).Select(i =>
        $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n")));

    [Fact]
    public void AFrozenCachedRunEvaluatesAsTheSavedFolderDoes()
    {
        string eval = Triplets("eval.jsonl", 6, 100);
        var config = ConfigLoader.Parse($"""
            model:
              path: {Colbert}
              dropout: 0.1
              freeze_transformer: true
            data:
              train: {Triplets("train.jsonl", 8, 0)}
              eval: {eval}
            training:
              batch_size: 4
              learning_rate: 2.0e-3
              max_steps: 2
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            loss:
              type: colbert_contrastive
              cached: true
              mini_batch_size: 3
            """, "c.yaml");
        var setup = TrainingRun.Build(config);
        var loss = Assert.IsType<ColbertContrastiveLoss>(setup.Loss);
        Assert.Equal(3, loss.MiniBatchSize);
        var result = new SentenceTrainer(setup).Run();
        string final = Path.Combine(config.Output.Dir, "final");

        using (var before = Checkpoint.OpenFile(Path.Combine(Colbert, "model.safetensors")))
        using (var after = Checkpoint.OpenFile(Path.Combine(final, "model.safetensors")))
        {
            foreach (string key in before.Keys.Where(k => before.Shape(k).Length > 0 && after.Keys.Contains(k)))
                Assert.Equal(before.Read(key, before.Shape(key)), after.Read(key, after.Shape(key)));
        }
        using (var before = Checkpoint.OpenFile(Path.Combine(Colbert, "1_Dense", "model.safetensors")))
        using (var after = Checkpoint.OpenFile(Path.Combine(final, "1_Dense", "model.safetensors")))
            Assert.NotEqual(before.Read("linear.weight", before.Shape("linear.weight")), after.Read("linear.weight", after.Shape("linear.weight")));

        using var saved = ColbertEncoder.Load(final);
        var triplets = File.ReadLines(eval).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => new Triplet(e.GetProperty("query").GetString()!, e.GetProperty("positive").GetString()!, e.GetProperty("negative").GetString()!)).ToArray();
        Assert.Equal(TripletScorer.Accuracy(saved, triplets), result.FinalMetrics["eval_triplet_accuracy"], 9);
        var rows = new Skald.Training.Data.TextDataset("eval", ["query", "positive", "negative"], [.. triplets.Select(t => new[] { t.Anchor, t.Positive, t.Negative })]);
        var printed = RetrievalScorer.Score(new LateInteractionRetriever(saved), Skald.Training.Evaluation.RetrievalEvaluator.FromPairs(rows).Data, topK: 10, cutoffs: [10]);
        Assert.Equal(printed["mrr_at_10"], result.FinalMetrics["eval_pairs_mrr@10"], 9);
        Assert.Equal(printed["ndcg_at_10"], result.FinalMetrics["eval_pairs_ndcg@10"], 9);
        Assert.InRange(printed["mrr_at_10"], 0.01, 0.99); // not a degenerate number
    }
}
