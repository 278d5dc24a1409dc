using System.Text.Json;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
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
/// <c>data.eval</c> rows whose numbers are those of the saved folder evaluated by the inference engine, and LoRA on the
/// transformer (the Dense trained whole, as sentence-transformers' add_adapter leaves it): its first gradients follow
/// from PyTorch's (B = 0: dL/dB = scale · dL/dW · Aᵀ, dL/dA = 0) and the merged folder scores as the trained model.
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

    [Fact]
    public void LoraOnAColbertStartsAtThePyTorchGradients()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "training", "colbert.json")));
        var r = doc.RootElement.GetProperty("contrastive");
        var columns = r.GetProperty("columns").EnumerateArray().Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
        using var encoder = SentenceEncoder.LoadLateInteraction(Colbert);
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        var lora = new Skald.Models.Adapters.LoraConfig { R = 4, Alpha = 8, Dropout = 0f, TargetModules = ["query", "value"] };
        model.EnableLora(lora, seed: 3, transformerOnly: true);
        var byName = model.Parameters.ToDictionary(p => p.Name);
        Assert.Contains(Dense, byName.Keys);
        Assert.DoesNotContain(byName.Keys, k => k.EndsWith(".query.weight", StringComparison.Ordinal));
        model.ZeroGradients();
        float loss = new ColbertContrastiveLoss().ComputeAndBackward(model, new TrainingBatch(columns));
        Assert.Equal(r.GetProperty("loss").GetDouble(), loss, 5);

        using var grads = Checkpoint.OpenFile(Path.Combine(Fixtures, "training", "colbert_contrastive_grads.safetensors"));
        static void Near(float[] want, ReadOnlySpan<float> got, string what)
        {
            double tolerance = 1e-5 * Math.Max(1, want.Max(Math.Abs)); // as ColbertLossTests
            for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) <= tolerance, $"{what}[{i}]: {want[i]} vs {got[i]}");
        }
        Near(grads.Read(Dense, grads.Shape(Dense)), byName[Dense].Grad.Span, Dense);
        int adapters = 0;
        foreach (var b in byName.Values.Where(p => p.Name.EndsWith(".lora_B.weight", StringComparison.Ordinal)))
        {
            string module = b.Name[..^".lora_B.weight".Length];
            var a = byName[module + ".lora_A.weight"];
            var w = grads.Read(module + ".weight", grads.Shape(module + ".weight")); // PyTorch's dL/dW [out, in]
            int outF = b.Shape[0], rank = b.Shape[1], inF = a.Shape[1];
            var want = new float[outF * rank];
            for (int o = 0; o < outF; o++)
                for (int k = 0; k < rank; k++)
                {
                    double sum = 0;
                    for (int i = 0; i < inF; i++) sum += w[o * inF + i] * a.Data.Span[k * inF + i];
                    want[o * rank + k] = (float)(lora.Scale * sum);
                }
            Assert.Contains(want, x => x != 0);
            Near(want, b.Grad.Span, b.Name);
            Assert.All(a.Grad.ToArray(), x => Assert.Equal(0f, x)); // B = 0
            adapters++;
        }
        Assert.Equal(4, adapters); // query and value of both layers
    }

    [Fact]
    public void AMergedLoraColbertFolderScoresAsTheTrainedModel()
    {
        var config = ConfigLoader.Parse($"""
            model:
              path: {Colbert}
              dropout: 0.0
            data:
              train: {Triplets("train.jsonl", 8, 0)}
            training:
              batch_size: 4
              learning_rate: 5.0e-3
              max_steps: 2
            output:
              dir: {Path.Combine(dir, "lora")}
              save_steps: 0
              tensorboard: false
            loss:
              type: colbert_contrastive
            lora:
              r: 4
              alpha: 8
              dropout: 0.0
              target_modules: [query, value]
              save: merged
            """, "c.yaml");
        var setup = TrainingRun.Build(config);
        var model = Assert.IsType<TrainableEncoder>(setup.Model);
        new SentenceTrainer(setup).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        using (var before = Checkpoint.OpenFile(Path.Combine(Colbert, "model.safetensors")))
        using (var after = Checkpoint.OpenFile(Path.Combine(final, "model.safetensors")))
        {
            string query = after.Keys.First(k => k.EndsWith("layer.0.attention.self.query.weight", StringComparison.Ordinal));
            string key = after.Keys.First(k => k.EndsWith("layer.0.attention.self.key.weight", StringComparison.Ordinal));
            Assert.NotEqual(before.Read(query, before.Shape(query)), after.Read(query, after.Shape(query))); // the adapters, merged
            Assert.Equal(before.Read(key, before.Shape(key)), after.Read(key, after.Shape(key)));           // not targeted
        }
        using (var before = Checkpoint.OpenFile(Path.Combine(Colbert, "1_Dense", "model.safetensors")))
        using (var after = Checkpoint.OpenFile(Path.Combine(final, "1_Dense", "model.safetensors")))
            Assert.NotEqual(before.Read("linear.weight", before.Shape("linear.weight")), after.Read("linear.weight", after.Shape("linear.weight")));

        using var saved = ColbertEncoder.Load(final);
        var trained = new Skald.Training.Evaluation.TrainingColbertEncoder(model);
        string[] documents = ["Hus 3 ligger ved sjøen.", "Bussen går klokka 3.", "Fjorden ligg stille i morgonsola.", "Ja."];
        var q = trained.EncodeQueries(["Hvor ligger hus nummer 3?"])[0];
        var ranked = saved.Rank("Hvor ligger hus nummer 3?", documents);
        var want = trained.EncodeDocuments(documents).Select(d => ColbertEncoder.Score(q, d)).ToArray();
        foreach (var hit in ranked) Assert.Equal(want[hit.Index], hit.Score, 4);
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

    /// <summary>
    /// <c>evaluation.tasks</c> with a ColBERT: a retrieval folder and a reranking file are scored by exact MaxSim with the weights being trained,
    /// every metric the number <c>skald evaluate</c> gives the saved folder (its retriever, <see cref="LateInteractionRetriever"/>,
    /// over the same <see cref="TaskEvaluator"/>).
    /// </summary>
    [Fact]
    public void ARetrievalTaskIsScoredAsSkaldEvaluateScoresTheSavedFolder()
    {
        string task = Path.Combine(dir, "husene");
        Directory.CreateDirectory(Path.Combine(task, "qrels"));
        File.WriteAllText(Path.Combine(task, "corpus.jsonl"), string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"_id\": \"h{i}\", \"text\": \"Hus {i} ligger ved sjøen.\"}}\n{{\"_id\": \"b{i}\", \"text\": \"Bussen går klokka {i}.\"}}\n")));
        File.WriteAllText(Path.Combine(task, "queries.jsonl"), string.Concat(Enumerable.Range(0, 8).Select(i => $"{{\"_id\": \"q{i}\", \"text\": \"Hvor ligger hus nummer {i}?\"}}\n")));
        File.WriteAllText(Path.Combine(task, "qrels", "test.tsv"), "query-id\tcorpus-id\tscore\n" + string.Concat(Enumerable.Range(0, 8).Select(i => $"q{i}\th{i}\t1\n")));
        string rerank = InfraPaths.WriteFile(dir, "rerank.jsonl", string.Concat(Enumerable.Range(0, 6).Select(i =>
            $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": [\"Hus {i} ligger ved sjøen.\"], " +
            $"\"negative\": [\"Bussen går klokka {i}.\", \"Hus {i + 1} ligger ved sjøen.\", \"Fjorden ligg stille.\"]}}\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {Colbert}
              dropout: 0.0
            data:
              train: {Triplets("train.jsonl", 8, 0)}
            training:
              batch_size: 4
              learning_rate: 2.0e-3
              max_steps: 2
            evaluation:
              tasks: [{task}, {rerank}]
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            loss:
              type: colbert_contrastive
            """, "c.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        using var saved = ColbertEncoder.Load(Path.Combine(config.Output.Dir, "final"));
        var printed = TaskEvaluator.Create(TaskDefinition.FromPath(task)).Evaluate(new LateInteractionRetriever(saved)).Metrics;
        Assert.Contains("ndcg_at_10", printed.Keys);
        foreach (var (key, value) in printed) Assert.Equal(value, result.FinalMetrics["eval_husene_" + key], 4);
        Assert.InRange(printed["ndcg_at_10"], 0.01, 0.99); // not a degenerate number
        var reranked = TaskEvaluator.Create(TaskDefinition.FromPath(rerank)).Evaluate(new LateInteractionRetriever(saved)).Metrics;
        Assert.NotEmpty(reranked);
        foreach (var (key, value) in reranked) Assert.Equal(value, result.FinalMetrics["eval_rerank_" + key], 4); // the given candidates, by MaxSim
    }
}
