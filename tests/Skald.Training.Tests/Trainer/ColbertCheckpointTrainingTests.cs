using System.Text.Json;
using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Models.LateInteraction;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;
using Skald.Training.Trainer;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// ColBERTs that PyLate trains with more than a Dense projection: a folder whose PyLate Dense modules add their input
/// back (<c>use_residual</c>, fixtures/models/colbert-residual-tiny) and a Stanford ColBERT checkpoint (HF_ColBERT,
/// fixtures/models/colbert-stanford-tiny), loaded as PyLate's ColBERT.__init__ loads it. Three AdamW steps of
/// colbert_contrastive each equal PyTorch (fixtures/training/make_colbert_steps_reference.py: each step's loss and grad
/// norm within 1e-4 relative, every final weight within 1e-4), and <c>skald train</c> saves each as a PyLate folder
/// that <see cref="ColbertEncoder.Load"/> reads back to the vectors the training forward gives (a Stanford run resumes
/// from such a checkpoint to the weights of an uninterrupted one).
/// </summary>
public sealed class ColbertCheckpointTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("residual")]
    [InlineData("stanford")]
    public void ThreeStepsMatchPyTorch(string run)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("colbert_steps.json")));
        var root = doc.RootElement;
        var r = root.GetProperty(run);
        using var encoder = SentenceEncoder.LoadLateInteraction(Path.Combine(InfraPaths.RepoRoot, r.GetProperty("model").GetString()!));
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        var opt = new AdamW([.. model.Parameters], weightDecay: root.GetProperty("weight_decay").GetSingle());
        float lr = root.GetProperty("lr").GetSingle(), clip = root.GetProperty("clip").GetSingle();
        var loss = new ColbertContrastiveLoss();
        foreach (var step in r.GetProperty("steps").EnumerateArray())
        {
            var columns = step.GetProperty("columns").EnumerateArray()
                .Select(c => (IReadOnlyList<string>)[.. c.EnumerateArray().Select(t => t.GetString()!)]).ToArray();
            model.ZeroGradients();
            float value = loss.ComputeAndBackward(model, new TrainingBatch(columns));
            float norm = GradientClipping.ClipGlobalNorm([.. model.Parameters], clip);
            opt.Step(lr);
            output.WriteLine($"loss {value:F6} (torch {step.GetProperty("loss").GetDouble():F6}), grad norm {norm:F4} (torch {step.GetProperty("grad_norm").GetDouble():F4})");
            TrainingParityTests.Near(value, step.GetProperty("loss").GetDouble(), "loss");
            TrainingParityTests.Near(norm, step.GetProperty("grad_norm").GetDouble(), "grad norm");
        }
        SpladeTrainingTests.AssertFinalWeights(model, CorePaths.TrainingFixture($"colbert_{run}_final.safetensors"), lr, output);
    }

    [Fact]
    public void AResidualColbertTrainsIntoAFolderThatKeepsItsResidualDense()
    {
        string source = CorePaths.FixtureModel("colbert-residual-tiny");
        var config = Config(source);
        new SentenceTrainer(TrainingRun.Build(config)).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        foreach (var (module, keys) in new[] { ("1_Dense", new[] { "linear.weight", "residual.weight" }), ("2_Dense", ["linear.bias", "linear.weight"]) })
        {
            using (var dense = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, module, "config.json"))))
                Assert.True(dense.RootElement.GetProperty("use_residual").GetBoolean(), module);
            using var weights = Checkpoint.OpenFile(Path.Combine(final, module, "model.safetensors"));
            Assert.Equal(keys, weights.Keys.Order(StringComparer.Ordinal).ToArray());
        }
        using (var before = Checkpoint.OpenFile(Path.Combine(source, "1_Dense", "model.safetensors")))
        using (var after = Checkpoint.OpenFile(Path.Combine(final, "1_Dense", "model.safetensors")))
            Assert.NotEqual(before.Read("residual.weight", [16, 32]), after.Read("residual.weight", [16, 32])); // trained, not copied
        AssertReadsBack(final, config);
    }

    [Fact]
    public void AStanfordCheckpointTrainsIntoAPyLateFolder()
    {
        string source = CorePaths.FixtureModel("colbert-stanford-tiny");
        var config = Config(source);
        new SentenceTrainer(TrainingRun.Build(config)).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        Assert.False(StanfordColbert.IsStanford(final));
        using (var modules = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "modules.json"))))
            Assert.Equal(["sentence_transformers.models.Transformer", "pylate.models.Dense.Dense"],
                modules.RootElement.EnumerateArray().Select(m => m.GetProperty("type").GetString()!).ToArray());
        using (var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "config.json"))))
            Assert.Equal("BertModel", cfg.RootElement.GetProperty("architectures")[0].GetString()); // what transformers' save_pretrained of the loaded BertModel writes
        using (var st = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, ColbertSettings.FileName))))
        {
            var s = st.RootElement; // artifact.metadata's settings, as PyLate saves them after loading the checkpoint
            Assert.Equal(("[unused0]", "[unused1]", 16, 24, false), (s.GetProperty("query_prefix").GetString(), s.GetProperty("document_prefix").GetString(),
                s.GetProperty("query_length").GetInt32(), s.GetProperty("document_length").GetInt32(), s.GetProperty("attend_to_expansion_tokens").GetBoolean()));
        }
        using (var weights = Checkpoint.OpenFile(Path.Combine(final, "model.safetensors")))
        {
            Assert.DoesNotContain("linear.weight", weights.Keys); // the projection lives in 1_Dense now
            Assert.DoesNotContain(weights.Keys, k => k.StartsWith("bert.", StringComparison.Ordinal));
            Assert.Contains("embeddings.word_embeddings.weight", weights.Keys);
        }
        using (var dense = Checkpoint.OpenFile(Path.Combine(final, "1_Dense", "model.safetensors")))
            Assert.Equal(["linear.weight"], dense.Keys);
        AssertReadsBack(final, config);
    }

    [Fact]
    public void AStanfordRunResumesToTheSameWeightsAndTakesModelKeysOverItsMetadata()
    {
        string source = CorePaths.FixtureModel("colbert-stanford-tiny");
        var config = Config(source, saveSteps: 1);
        new SentenceTrainer(TrainingRun.Build(config)).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        Directory.Delete(final, recursive: true);
        Directory.Delete(Path.Combine(config.Output.Dir, "checkpoints", "step-2"), recursive: true);
        Assert.NotNull(new SentenceTrainer(TrainingRun.Build(config)).Run().ResumedFrom); // from its step-1 PyLate folder
        var fresh = Config(source, outDir: "fresh");
        new SentenceTrainer(TrainingRun.Build(fresh)).Run();
        foreach (string file in new[] { "model.safetensors", Path.Combine("1_Dense", "model.safetensors") })
        {
            using var a = Checkpoint.OpenFile(Path.Combine(final, file));
            using var b = Checkpoint.OpenFile(Path.Combine(fresh.Output.Dir, "final", file));
            foreach (var key in a.Keys) Assert.Equal(b.Read(key, b.Shape(key)), a.Read(key, a.Shape(key)));
        }

        // model keys go over artifact.metadata's settings (its markers kept), as PyLate's constructor arguments do
        using var setup = TrainingRun.Build(Config(source, outDir: "keys", modelKeys: "  type: colbert\n  query_length: 12"));
        var settings = ((TrainableEncoder)setup.Model).Model.LateInteraction!.Settings;
        Assert.Equal(("[unused0]", "[unused1]", 12, 24), (settings.QueryPrefix, settings.DocumentPrefix, settings.QueryLength, settings.DocumentLength));
    }

    [Theory]
    [InlineData("adapter")]
    [InlineData("merged")]
    public void AStanfordCheckpointTrainsWithLoraIntoAFolderThatReadsBack(string save)
    {
        var config = Config(CorePaths.FixtureModel("colbert-stanford-tiny"), outDir: save, extra: $"""
            lora:
              r: 4
              alpha: 8
              dropout: 0.0
              target_modules: [query, value]
              save: {save}
            """);
        new SentenceTrainer(TrainingRun.Build(config)).Run();
        string final = Path.Combine(config.Output.Dir, "final");
        Assert.Equal(save == "adapter", File.Exists(Path.Combine(final, "adapter_config.json")));
        AssertReadsBack(final, config);
    }

    private void AssertReadsBack(string final, TrainingConfig config)
    {
        using var trained = SentenceEncoder.LoadLateInteraction(final);
        using var reloaded = ColbertEncoder.Load(final);
        var rows = File.ReadAllLines(config.Data.Train[0]).Take(3).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        ColbertTrainingTests.AssertSameVectors(trained, reloaded, [.. rows.Select(r => r.GetProperty("query").GetString()!)], query: true);
        ColbertTrainingTests.AssertSameVectors(trained, reloaded, [.. rows.Select(r => r.GetProperty("positive").GetString()!)], query: false);
    }

    private TrainingConfig Config(string model, int saveSteps = 0, string outDir = "run", string modelKeys = "", string extra = "")
    {
        string data = InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n")));
        return ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0.0
            {modelKeys}
            data:
              train: {data}
            training:
              batch_size: 4
              learning_rate: 2.0e-3
              max_steps: 2
            output:
              dir: {Path.Combine(dir, outDir)}
              save_steps: {saveSteps}
              tensorboard: false
            loss:
              type: colbert_contrastive
            {extra}
            """, "c.yaml");
    }
}
