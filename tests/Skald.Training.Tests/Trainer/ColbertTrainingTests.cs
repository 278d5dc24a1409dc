using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.LateInteraction;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// ColBERTs trained by the one trainer (in-process, as <c>skald train</c> runs it): a PyLate folder with
/// colbert_contrastive and a plain BERT made a ColBERT (a new Dense projection) with colbert_distillation, each saved
/// as a PyLate folder that <see cref="ColbertEncoder.Load"/> reads back to the vectors the training forward gives, with
/// a lower loss on a training batch than before; a run resumed from its checkpoint ends on the same weights; and one
/// line for each misuse.
/// </summary>
public sealed class ColbertTrainingTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string Colbert = CorePaths.FixtureModel("colbert-bert-tiny");

    private string Triplets() => InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
        $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n")));

    private string Scored() => InfraPaths.WriteFile(dir, "scored.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
        $"{{\"query\": \"Når går ferja {i}?\", \"d1\": \"Ferja {i} går hver time.\", \"d2\": \"Butikken åpner klokka {i}.\", \"d3\": \"Hei {i}!\", \"scores\": [3.0, 1.0, -1.0]}}\n")));

    private TrainingConfig Config(string model, string data, string loss, string modelKeys = "", int steps = 4, string outDir = "run", int saveSteps = 0) =>
        ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0.0
            {modelKeys}
            data:
              train: {data}
            training:
              batch_size: 4
              learning_rate: 2.0e-3
              max_steps: {steps}
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, outDir)}
              save_steps: {saveSteps}
              tensorboard: false
            loss:
              type: {loss}
            """, "c.yaml");

    [Fact]
    public void AColbertFolderTrainsWithContrastiveIntoAPyLateFolderThatLoadsBack()
    {
        var config = Config(Colbert, Triplets(), "colbert_contrastive", saveSteps: 2);
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        Assert.Equal(4, result.Steps);
        AssertPyLateFolder(final, 16, "[Q] ");
        AssertReloadsAndLearned(Colbert, final, new ColbertContrastiveLoss(), Batch(config.Data.Train[0], labels: false));

        // Stopped after its step-2 checkpoint, the run resumes to the same weights.
        Directory.Delete(final, recursive: true);
        Directory.Delete(Path.Combine(config.Output.Dir, "checkpoints", "step-4"), recursive: true);
        result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.NotNull(result.ResumedFrom);
        var again = Config(Colbert, config.Data.Train[0], "colbert_contrastive", outDir: "fresh");
        new SentenceTrainer(TrainingRun.Build(again)).Run();
        foreach (string file in new[] { "model.safetensors", Path.Combine("1_Dense", "model.safetensors") })
        {
            using var a = Checkpoint.OpenFile(Path.Combine(final, file));
            using var b = Checkpoint.OpenFile(Path.Combine(again.Output.Dir, "final", file));
            foreach (var key in a.Keys) Assert.Equal(b.Read(key, b.Shape(key)), a.Read(key, a.Shape(key)));
        }
    }

    [Fact]
    public void APlainBertBecomesAColbertAndTrainsWithDistillation()
    {
        string bert = CorePaths.FixtureModel("bert-cased-mean");
        var config = Config(bert, Scored(), "colbert_distillation", """
              type: colbert
              embedding_size: 8
              query_prefix: ""
              document_prefix: ""
              query_length: 12
              document_length: 20
            """);
        new SentenceTrainer(TrainingRun.Build(config)).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        AssertPyLateFolder(final, 8, "");
        using (var st = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, ColbertSettings.FileName))))
        {
            Assert.Equal(12, st.RootElement.GetProperty("query_length").GetInt32());
            Assert.Equal(20, st.RootElement.GetProperty("document_length").GetInt32());
        }
        // The new projection's first state is the same seeded draw: the "before" model of the loss check is made again.
        using var plain = SentenceEncoder.Load(bert);
        using var start = plain.AsLateInteraction(ConfigSettings(config), 8, config.Training.Seed);
        AssertReloadsAndLearned(start, final, new ColbertDistillationLoss(), Batch(config.Data.Train[0], labels: true));
    }

    [Fact]
    public void ASentenceTransformersDenseIsKeptOnEveryTokenAndTheNewOneNamedApart()
    {
        // bert-uncased-max: max Pooling → 2_Dense (32 → 16, bias, Tanh). PyLate keeps that Dense on every token.
        using var plain = SentenceEncoder.Load(CorePaths.FixtureModel("bert-uncased-max"));
        using var colbert = plain.AsLateInteraction(new ColbertSettings { QueryPrefix = "", DocumentPrefix = "", QueryLength = 10, DocumentLength = 12 }, 8);
        Assert.Equal(["2_Dense/linear.weight", "2_Dense/linear.bias", "3_Dense/linear.weight"], colbert.Dense.SelectMany(d => d.Parameters).Select(p => p.Name).ToArray());
        Assert.Equal(8, colbert.Dimension);
        string saved = Path.Combine(dir, "saved");
        ModelSaver.Save(colbert, saved);
        using (var dense = JsonDocument.Parse(File.ReadAllText(Path.Combine(saved, "1_Dense", "config.json"))))
        {
            Assert.True(dense.RootElement.GetProperty("bias").GetBoolean());
            Assert.Equal("torch.nn.modules.activation.Tanh", dense.RootElement.GetProperty("activation_function").GetString());
        }
        using var reloaded = ColbertEncoder.Load(saved);
        Assert.Equal(2, reloaded.Dense.Count);
        string[] texts = ["Hvor ligger Bergen?", "Bergen ligger på Vestlandet, ved havet."];
        AssertSameVectors(colbert, reloaded, texts, query: true);
        AssertSameVectors(colbert, reloaded, texts, query: false);
    }

    private static ColbertSettings ConfigSettings(TrainingConfig config) => config.Model.Colbert!.Apply(new ColbertSettings());

    private static TrainingBatch Batch(string file, bool labels)
    {
        var rows = File.ReadAllLines(file).Take(4).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        var names = rows[0].EnumerateObject().Select(p => p.Name).Where(n => n != "scores").ToArray();
        var columns = names.Select(n => (IReadOnlyList<string>)[.. rows.Select(r => r.GetProperty(n).GetString()!)]).ToArray();
        return new TrainingBatch(columns, labels ? [.. rows.SelectMany(r => r.GetProperty("scores").EnumerateArray().Select(x => x.GetSingle()))] : null);
    }

    private static void AssertPyLateFolder(string final, int width, string queryPrefix)
    {
        using (var modules = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "modules.json"))))
        {
            var types = modules.RootElement.EnumerateArray().Select(m => m.GetProperty("type").GetString()!).ToArray();
            Assert.Equal(["sentence_transformers.models.Transformer", "pylate.models.Dense.Dense"], types);
        }
        using (var dense = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "1_Dense", "config.json"))))
        {
            Assert.Equal(["in_features", "out_features", "bias", "activation_function", "use_residual"], dense.RootElement.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.Equal(width, dense.RootElement.GetProperty("out_features").GetInt32());
            Assert.False(dense.RootElement.GetProperty("bias").GetBoolean());
        }
        using (var st = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, ColbertSettings.FileName))))
        {
            var r = st.RootElement;
            Assert.Equal("MaxSim", r.GetProperty("similarity_fn_name").GetString());
            Assert.Equal(queryPrefix, r.GetProperty("query_prefix").GetString());
            Assert.False(r.TryGetProperty("model_type", out _)); // PyLate reads a folder without one as a ColBERT
            foreach (string key in new[] { "document_prefix", "query_length", "document_length", "attend_to_expansion_tokens", "skiplist_words", "do_query_expansion" })
                Assert.True(r.TryGetProperty(key, out _), key);
        }
        using var weights = Checkpoint.OpenFile(Path.Combine(final, "1_Dense", "model.safetensors"));
        Assert.Equal(["linear.weight"], weights.Keys);
    }

    // The saved folder: ColbertEncoder's vectors equal the training forward's kept ones; a training batch's loss fell.
    private static void AssertReloadsAndLearned(string before, string final, ColbertLoss loss, TrainingBatch batch)
    {
        using var start = SentenceEncoder.LoadLateInteraction(before);
        AssertReloadsAndLearned(start, final, loss, batch);
    }

    private static void AssertReloadsAndLearned(SentenceEncoder before, string final, ColbertLoss loss, TrainingBatch batch)
    {
        using var reloaded = ColbertEncoder.Load(final);
        using var trained = SentenceEncoder.LoadLateInteraction(final);
        AssertSameVectors(trained, reloaded, batch.Columns[0], query: true);
        AssertSameVectors(trained, reloaded, batch.Columns[1], query: false);
        var model = TrainableEncoder.For(trained, dropout: 0f);
        float after = loss.ComputeAndBackward(model, batch);
        float first = loss.ComputeAndBackward(TrainableEncoder.For(before, dropout: 0f), batch);
        Assert.True(after < first, $"the batch's loss went from {first} to {after}");
    }

    // ColbertEncoder's vectors of the texts equal the kept rows of the training forward (EncoderPass.ForwardTokens).
    internal static void AssertSameVectors(SentenceEncoder colbert, ColbertEncoder reloaded, IReadOnlyList<string> texts, bool query)
    {
        var vectors = query ? reloaded.EncodeQueries(texts) : reloaded.EncodeDocuments(texts);
        var inputs = colbert.LateInteraction!;
        var rows = inputs.Tokenize(texts, query);
        var tokens = inputs.Batch(rows);
        using var pass = TrainableEncoder.For(colbert, dropout: 0f).BeginPass(record: false, dropout: false);
        var y = pass.ForwardTokens(tokens);
        for (int b = 0; b < rows.Count; b++)
        {
            var kept = Enumerable.Range(0, rows[b].Ids.Length).Where(t => inputs.Keeps(rows[b].Ids[t], rows[b].Mask[t], query)).ToArray();
            Assert.Equal(kept.Length, vectors[b].Count);
            for (int k = 0; k < kept.Length; k++)
            {
                var want = vectors[b].Row(k);
                var got = y.Row(b * tokens.Seq + kept[k]);
                for (int x = 0; x < want.Length; x++) Assert.True(Math.Abs(want[x] - got[x]) <= 1e-5, $"text {b} token {k}: {want[x]} vs {got[x]}");
            }
        }
    }

    [Fact]
    public void TheExampleConfigTrainsTheFixtureAsItsHeaderSays()
    {
        string root = InfraPaths.RepoRoot;
        var config = ConfigLoader.Load(Path.Combine(root, "configs", "colbert.yaml"),
        [
            $"model.path={Colbert}", "model.query_prefix=\"[Q] \"", "model.document_prefix=\"[D] \"", "model.embedding_size=16",
            "model.query_length=16", "model.document_length=24", "training.batch_size=8", "training.max_steps=2",
            $"data.train={Path.Combine(root, "samples", "data", "train-triplets.jsonl")}", $"output.dir={Path.Combine(dir, "example")}",
        ], quickTest: true);
        new SentenceTrainer(TrainingRun.Build(config)).Run();
        using var model = ColbertEncoder.Load(Path.Combine(dir, "example", "final"));
        Assert.Equal(16, model.Dimension);
    }

    [Fact]
    public void MisusesAreOneLineEach()
    {
        string bert = CorePaths.FixtureModel("bert-cased-mean");
        Refused(() => TrainingRun.Build(Config(bert, Triplets(), "colbert_contrastive")), "loss.type colbert_contrastive trains a ColBERT (one vector per token); set model.type: colbert");
        Refused(() => TrainingRun.Build(Config(Colbert, Triplets(), "mnrl")), "a ColBERT (PyLate) model, one vector per token; it trains with loss.type colbert_contrastive or colbert_distillation");
        Refused(() => TrainingRun.Build(Config(Colbert, Triplets(), "colbert_distillation")), "loss.type colbert_distillation needs (query, document, document[, document...]) text columns and a label column");
        Refused(() => Config(bert, Triplets(), "mnrl", "  type: colbert"), "a ColBERT (model.type: colbert) trains with loss.type colbert_contrastive or colbert_distillation, not mnrl");
        Refused(() => Config(bert, Triplets(), "mnrl", "  embedding_size: 8"), "model.embedding_size is a ColBERT's (model.type: colbert)");
        Refused(() => Config(Colbert, Scored(), "colbert_distillation\n  cached: true"), "loss.cached runs loss.type colbert_contrastive (PyLate's CachedContrastive); PyLate has no cached Distillation");
        var withTasks = Config(Colbert, Triplets(), "colbert_contrastive");
        string sts = InfraPaths.WriteFile(dir, "sts.tsv", "sentence1\tsentence2\tscore\nBussen går.\tBussen kjører.\t4.5\nKatten sover.\tFerja går.\t0.5\n");
        Refused(() => TrainingRun.Build(withTasks with { Evaluation = withTasks.Evaluation with { Tasks = [sts] } }),
            $"evaluation.tasks: {sts}: a sts task; a ColBERT is evaluated during training on retrieval and reranking tasks");
        Refused(() => Config(Colbert, Triplets(), "colbert_distillation\n  temperature: 2.0"), "loss.temperature is DistillKLDivLoss's");
        Refused(() => TrainingRun.Build(Config(bert, Triplets(), "colbert_contrastive", "  type: colbert")),
            "model.document_length is 180, more tokens than the model's 64 positions"); // PyLate's default on a 64-position model
    }

    private static void Refused(Action build, string message)
    {
        var e = Assert.Throws<TrainingException>(build);
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
