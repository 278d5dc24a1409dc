using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Tests.Losses;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>skald train</c>'s BGE-M3 path (<c>loss.type: bge_m3</c>) in process: a 2-step run saves a BGE-M3 folder whose
/// trained heads are float32 <c>.pt</c> files that <see cref="BgeM3Encoder.Load"/> reads back; a dense fine-tune of a
/// BGE-M3 folder keeps the heads unchanged and says so; FlagEmbedding's fix_encoder (model.freeze_transformer) trains the
/// heads alone; and what it cannot run is refused in one line.
/// </summary>
public sealed class BgeM3TrainingTests
{
    private static readonly string[] Texts = ["Hvor ligger Bergen?", "Bergen ligger på Vestlandet.", "👍👍👍", "Kaffe ☕ og kanelbolle 🥐 — perfekt start!"];

    private readonly string dir = InfraPaths.NewTempDir();

    private string Data() => InfraPaths.WriteFile(dir, "triplets.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
        $"{{\"query\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger ved fjorden.\", \"negative\": \"Det regner {i} dager i Bergen.\"}}\n")));

    private TrainingConfig Config(string model, string loss, string extra = "", string run = "run") => ConfigLoader.Parse($"""
        model:
          path: {model}
          dropout: 0.1
        {extra}
        data:
          train: {Data()}
        training:
          batch_size: 4
          max_steps: 2
          learning_rate: 1.0e-3
          logging_steps: 1
        loss:
        {loss}
        output:
          dir: {Path.Combine(dir, run)}
          save_steps: 0
          tensorboard: false
        """, "t.yaml");

    private static void Close(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"[{i}]: {expected[i]} vs {actual[i]}");
    }

    private static float[] Head(string file, string key)
    {
        using var c = Checkpoint.OpenFile(file);
        return c.Read(key, c.Shape(key));
    }

    [Fact]
    public void TwoStepRunSavesABgeM3FolderThatReloadsWithTheTrainedHeads()
    {
        string source = BgeM3LossTests.Folder();
        var setup = TrainingRun.Build(Config(source, "  type: bge_m3\n  use_self_distill: true"));
        var loss = Assert.IsType<BgeM3Loss>(setup.Loss);
        Assert.Equal((32, 128, 0.02f), (loss.QueryMaxLength, loss.PassageMaxLength, loss.Temperature)); // FlagEmbedding's defaults
        var result = new SentenceTrainer(setup).Run();
        Assert.Equal(2, result.Steps);
        Assert.Equal(1, loss.Step); // the second batch saw one before it
        string saved = result.ModelPath;
        var byName = loss.Parameters.ToDictionary(p => p.Name);
        foreach (var (file, prefix) in new[] { ("sparse_linear.pt", "sparse_linear/"), ("colbert_linear.pt", "colbert_linear/") })
        {
            foreach (string key in new[] { "weight", "bias" })
            {
                var written = Head(Path.Combine(saved, file), key);
                Assert.Equal(byName[prefix + key].Data.ToArray(), written); // float32, bit for bit (a float16 file would round)
                Assert.NotEqual(Head(Path.Combine(source, file), key), written); // trained
            }
        }
        Assert.Contains("### BGE-M3 heads", File.ReadAllText(Path.Combine(saved, "README.md")));
        Assert.Contains("with self-distillation", File.ReadAllText(Path.Combine(saved, "README.md")));

        using var reloaded = BgeM3Encoder.Load(saved);
        using var original = BgeM3Encoder.Load(source);
        var after = reloaded.Encode(Texts);
        var before = original.Encode(Texts);
        var trained = ((TrainableEncoder)setup.Model).Encode(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Close(trained[i], after[i].Dense!); // the saved transformer is the trained one (training and inference forwards: 1e-5)
            Assert.NotEqual(before[i].Colbert!.Values, after[i].Colbert!.Values);
        }
        Assert.Contains(Enumerable.Range(0, Texts.Length), i => !before[i].Sparse!.Values.SequenceEqual(after[i].Sparse!.Values));
    }

    [Fact]
    public void AResumedRunEndsWithTheUninterruptedRunsTransformerAndHeads()
    {
        // self-distillation from the fourth batch: a resume that restarted the loss's batch count would start it later
        string source = BgeM3LossTests.Folder(), data = Data();
        TrainingConfig Run(string name) => ConfigLoader.Parse($"""
            model:
              path: {source}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 4
              learning_rate: 1.0e-3
            loss:
              type: bge_m3
              use_self_distill: true
              self_distill_start_step: 2
            output:
              dir: {Path.Combine(dir, name)}
              save_steps: 2
              tensorboard: false
            """, "t.yaml");
        var full = new SentenceTrainer(TrainingRun.Build(Run("full"))).Run();
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(Run("cut"),
            p => { if (p.Step == 3) throw new OperationCanceledException(); })).Run());
        var resumed = new SentenceTrainer(TrainingRun.Build(Run("cut"))).Run();
        Assert.EndsWith("step-2", resumed.ResumedFrom);
        foreach (string file in new[] { "model.safetensors", "sparse_linear.pt", "colbert_linear.pt" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(full.ModelPath, file)), File.ReadAllBytes(Path.Combine(resumed.ModelPath, file)));
    }

    [Theory]
    [InlineData("  type: mnrl")]
    [InlineData("  type: bge_m3\n  unified_finetuning: false")]
    public void DenseFineTuneOfABgeM3FolderCopiesTheHeadsUnchangedAndSaysSo(string loss)
    {
        string source = Skald.Tests.TestPaths.CopyOfFixtureModel("bge-m3-tiny");
        var setup = TrainingRun.Build(Config(source, loss));
        Assert.Empty(setup.Loss.Parameters);
        var result = new SentenceTrainer(setup).Run();
        foreach (string file in new[] { "sparse_linear.pt", "colbert_linear.pt" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(source, file)), File.ReadAllBytes(Path.Combine(result.ModelPath, file)));
        string card = File.ReadAllText(Path.Combine(result.ModelPath, "README.md"));
        Assert.Contains("copied unchanged", card);
        using var reloaded = BgeM3Encoder.Load(result.ModelPath);
        Close(((TrainableEncoder)setup.Model).Encode(Texts)[0], reloaded.Encode(Texts)[0].Dense!);
    }

    [Fact]
    public void FreezeTransformerIsFixEncoderTheHeadsAloneTrain()
    {
        string source = BgeM3LossTests.Folder();
        var setup = TrainingRun.Build(Config(source, "  type: bge_m3", "  freeze_transformer: true"));
        Assert.Empty(setup.Model.Parameters);
        var result = new SentenceTrainer(setup).Run();
        using (var a = Checkpoint.OpenFolder(source))
        using (var b = Checkpoint.OpenFolder(result.ModelPath))
            Assert.Equal(a.Read("encoder.layer.1.output.dense.weight", 32, 64), b.Read("encoder.layer.1.output.dense.weight", 32, 64));
        Assert.NotEqual(Head(Path.Combine(source, "sparse_linear.pt"), "weight"), Head(Path.Combine(result.ModelPath, "sparse_linear.pt"), "weight"));
    }

    [Theory]
    [InlineData("  type: bge_m3\n  cached: true\n  mini_batch_size: 0", "t.yaml:", "mini_batch_size")]
    [InlineData("  type: bge_m3\n  mini_batch_size: 2", "t.yaml:", "loss.cached: true")]
    [InlineData("  type: mnrl\n  use_self_distill: true", "t.yaml:", "loss.use_self_distill is BGE-M3 fine-tuning's")]
    [InlineData("  type: bge_m3\n  scale: 20", "t.yaml:", "loss.temperature")]
    [InlineData("  type: bge_m3\n  unified_finetuning: false\n  use_self_distill: true", "t.yaml:", "needs loss.unified_finetuning: true")]
    public void ConfigsItCannotRunAreRefusedInOneLine(string loss, string where, string what)
    {
        var e = Assert.Throws<TrainingException>(() => Config(BgeM3LossTests.Folder(), loss));
        Assert.StartsWith(where, e.Message);
        Assert.Contains(what, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void CachedRunsTheLossInChunksOfMiniBatchSize()
    {
        // loss.cached: true with the ColBERT cached loss's key, loss.mini_batch_size (BgeM3CachedTests: the same step)
        var cached = Assert.IsType<BgeM3Loss>(TrainingRun.Build(Config(BgeM3LossTests.Folder(), "  type: bge_m3\n  cached: true\n  mini_batch_size: 2")).Loss);
        Assert.Equal(2, cached.MiniBatchSize);
        Assert.Null(Assert.IsType<BgeM3Loss>(TrainingRun.Build(Config(BgeM3LossTests.Folder(), "  type: bge_m3")).Loss).MiniBatchSize);
    }

    [Fact]
    public void ACachedRunWithDropoutTrainsAsTheUncachedOne()
    {
        // one chunk a column (mini_batch_size = batch_size) draws the uncached run's dropout masks: two steps through the
        // trainer then save the same weights, which needs each replay's masks and the generator's state after a step
        string source = BgeM3LossTests.Folder();
        string Run(string loss, string name) => new SentenceTrainer(TrainingRun.Build(Config(source, loss, run: name))).Run().ModelPath;
        string plain = Run("  type: bge_m3\n  use_self_distill: true", "plain");
        string cached = Run("  type: bge_m3\n  use_self_distill: true\n  cached: true\n  mini_batch_size: 4", "cached");
        foreach (var (file, key) in new[] { ("sparse_linear.pt", "weight"), ("colbert_linear.pt", "weight"), ("colbert_linear.pt", "bias") })
            Close(Head(Path.Combine(plain, file), key), Head(Path.Combine(cached, file), key));
        using var a = Checkpoint.OpenFolder(plain);
        using var b = Checkpoint.OpenFolder(cached);
        Close(a.Read("encoder.layer.1.output.dense.weight", 32, 64), b.Read("encoder.layer.1.output.dense.weight", 32, 64));
        using var start = Checkpoint.OpenFolder(source);
        Assert.NotEqual(a.Read("encoder.layer.1.output.dense.weight", 32, 64), start.Read("encoder.layer.1.output.dense.weight", 32, 64)); // trained
    }

    [Fact]
    public void ABaseWithoutHeadsTrainsNewOnesAndSavesAFolderFlagEmbeddingLoads()
    {
        // FlagEmbedding's get_model on a plain encoder: new colbert_linear (colbert_dim) and sparse_linear, trained and
        // saved under their file names beside the transformer
        string plain = InfraPaths.FixtureModel("xlmr-cls-f16");
        var setup = TrainingRun.Build(Config(plain, "  type: bge_m3\n  colbert_dim: 12"));
        var loss = Assert.IsType<BgeM3Loss>(setup.Loss);
        Assert.True(loss.NewHeads);
        var initial = loss.Parameters.ToDictionary(p => p.Name, p => p.Data.ToArray());
        var result = new SentenceTrainer(setup).Run();
        foreach (var (file, prefix) in new[] { ("sparse_linear.pt", "sparse_linear/"), ("colbert_linear.pt", "colbert_linear/") })
        {
            foreach (string key in new[] { "weight", "bias" })
            {
                var written = Head(Path.Combine(result.ModelPath, file), key);
                Assert.Equal(loss.Parameters.Single(p => p.Name == prefix + key).Data.ToArray(), written);
                Assert.NotEqual(initial[prefix + key], written); // trained from the new heads
            }
        }
        Assert.Contains("from new heads", File.ReadAllText(Path.Combine(result.ModelPath, "README.md")));
        using var reloaded = BgeM3Encoder.Load(result.ModelPath);
        var outputs = reloaded.Encode(Texts);
        Assert.Equal(12, outputs[0].Colbert!.Dimension);
        Close(((TrainableEncoder)setup.Model).Encode(Texts)[0], outputs[0].Dense!);
        // and a run from the saved folder reads those heads instead of drawing new ones
        Assert.False(Assert.IsType<BgeM3Loss>(TrainingRun.Build(Config(result.ModelPath, "  type: bge_m3")).Loss).NewHeads);
    }

    [Fact]
    public void AColbertDimOtherThanTheFoldersAndAnAdapterOnlySaveAreRefusedInOneLine()
    {
        string folder = BgeM3LossTests.Folder();
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(folder, "  type: bge_m3\n  colbert_dim: 16")));
        Assert.Equal($"loss.type bge_m3: {Path.Combine(folder, "colbert_linear.pt")}: colbert_linear maps to 32 values, not colbert_dim 16 " +
            "(a folder's heads keep their width; colbert_dim sizes new heads only)", e.Message);
        e = Assert.Throws<TrainingException>(() => Config(folder, "  type: mnrl\n  colbert_dim: 16"));
        Assert.Contains("loss.colbert_dim is BGE-M3 fine-tuning's", e.Message);
        e = Assert.Throws<TrainingException>(() => TrainingRun.Build(Config(folder, "  type: bge_m3\nlora:\n  r: 4")));
        Assert.StartsWith("lora: loss.type bge_m3 saves a BGE-M3 folder", e.Message);
    }
}
