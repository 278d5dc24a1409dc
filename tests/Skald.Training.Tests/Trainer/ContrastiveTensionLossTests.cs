using System.Text.Json;
using Skald.Models.Checkpoints;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;
using Xunit.Abstractions;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// ContrastiveTension with in-batch negatives (<c>loss.type: contrastive_tension</c>): five AdamW steps of the model, its
/// trained copy and the learnable scale against PyTorch (fixtures/training/make_ct_reference.py), and <c>skald train</c>
/// saving only the model, resuming exactly, or refusing what it cannot train.
/// </summary>
public sealed class ContrastiveTensionLossTests(ITestOutputHelper output) : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Each step's loss and grad norm within 1e-4 relative; the model's, the copy's and τ's final values within 1e-4.</summary>
    [Fact]
    public void FiveStepsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("ct.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        var loss = new ContrastiveTensionLoss(model, r.GetProperty("scale").GetSingle());
        Assert.All(loss.Parameters, p => Assert.StartsWith("contrastive_tension.", p.Name));
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("ct_final.safetensors"), output);
        SpladeTrainingTests.AssertFinalWeights(loss.Parameters, CorePaths.TrainingFixture("ct_copy_final.safetensors"), r.GetProperty("lr").GetSingle(), output);
    }

    /// <summary>
    /// The pair-sampling ContrastiveTensionLoss (<c>loss.type: contrastive_tension_pairs</c>): the pairs upstream's loader
    /// makes of each batch, five AdamW steps of the model and its copy against PyTorch.
    /// </summary>
    [Fact]
    public void SampledPairsFiveStepsMatchPyTorch()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("ct_pairs.json")));
        var r = doc.RootElement;
        var model = TrainableEncoder.Load(CorePaths.FixtureModel("bert-cased-mean"), dropout: 0f);
        int ratio = r.GetProperty("pos_neg_ratio").GetInt32();
        var loss = new ContrastiveTensionPairsLoss(model, ratio);
        TrainingParityTests.Replay(model, r, loss, CorePaths.TrainingFixture("ct_pairs_final.safetensors"), output, step =>
        {
            var sentences = step.GetProperty("columns")[0].EnumerateArray().Select(t => t.GetString()!).ToArray();
            var expected = step.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!, (float)p[2].GetInt32()));
            Assert.Equal(expected, ContrastiveTensionPairsLoss.Pairs(sentences, ratio));
        });
        SpladeTrainingTests.AssertFinalWeights(loss.Parameters, CorePaths.TrainingFixture("ct_pairs_copy_final.safetensors"), r.GetProperty("lr").GetSingle(), output);
    }

    /// <summary>
    /// With a lora section the copy gets LoRA adapters of its own, equal to the model's at the start (upstream deep-copies
    /// the peft model), named under the copy's prefix; both train, and only the model's adapters are saved.
    /// </summary>
    [Fact]
    public void WithLoraTheCopyHasAdaptersOfItsOwn()
    {
        string data = InfraPaths.WriteFile(dir, "lora-sentences.txt", string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"Ferja {i} går fra kaia klokka {i + 6} om morgenen.\n")));
        string outDir = Path.Combine(dir, "lora");
        var config = Skald.Training.Config.ConfigLoader.Parse($"""
            model:
              path: {InfraPaths.FixtureModel("bert-cased-mean")}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 2
            loss:
              type: contrastive_tension
            lora:
              r: 4
              alpha: 8
              dropout: 0
              target_modules: [query, value]
            output:
              dir: {outDir}
              tensorboard: false
            """, "ct-lora.yaml");
        var setup = TrainingRun.Build(config);
        var loss = Assert.IsType<ContrastiveTensionLoss>(setup.Loss);
        var mine = setup.Model.Parameters.ToDictionary(p => p.Name);
        var copies = loss.Parameters.Where(p => p.Name.StartsWith(ContrastiveTensionLoss.CopyPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(mine.Count, copies.Count); // adapters only: the copy's base is frozen too
        foreach (var c in copies)
        {
            var m = mine[c.Name[ContrastiveTensionLoss.CopyPrefix.Length..]];
            Assert.Equal(m.Data.ToArray(), c.Data.ToArray()); // A from the same draws, B zero
            Assert.NotSame(m, c);
        }
        var result = new SentenceTrainer(setup).Run();
        Assert.True(File.Exists(Path.Combine(result.ModelPath, "adapter_model.safetensors")));
        using var saved = Checkpoint.OpenFile(Path.Combine(result.ModelPath, "adapter_model.safetensors"));
        Assert.DoesNotContain(saved.Keys, k => k.Contains("contrastive_tension", StringComparison.Ordinal));
        // The loss is symmetric in the two models, so only dropout (different masks for each) sets them apart.
        Assert.Contains(copies, c => !c.Data.ToArray().SequenceEqual(mine[c.Name[ContrastiveTensionLoss.CopyPrefix.Length..]].Data.ToArray()));
    }

    [Theory]
    [InlineData(7, 8, "1,0,0,")]      // 7 sentences: (s0, s0), (s1, s2), (s3, s4), (s5, s6)
    [InlineData(6, 2, "1,0,1,")]      // (s0, s0), (s1, s2), (s3, s3), (s4, s5)
    [InlineData(3, 1, "1,1,")]        // every pair identical; the last sentence has no partner
    public void PairsFollowUpstreamsLoader(int sentences, int ratio, string labels)
    {
        var pairs = ContrastiveTensionPairsLoss.Pairs([.. Enumerable.Range(0, sentences).Select(i => $"s{i}")], ratio);
        Assert.Equal(labels, string.Concat(pairs.Take(labels.Count(c => c == ',')).Select(p => $"{p.Label},")));
        Assert.All(pairs, p => Assert.Equal(p.Label == 1, p.First == p.Second));
        Assert.Equal(pairs.SelectMany(p => p.Label == 1 ? new[] { p.First } : [p.First, p.Second]).Distinct(), pairs.SelectMany(p => p.Label == 1 ? new[] { p.First } : [p.First, p.Second])); // each sentence used once
    }

    [Fact]
    public void SkaldTrainSavesTheModelResumesAndRefusesWithOneLine()
    {
        string data = InfraPaths.WriteFile(dir, "sentences.txt", string.Concat(Enumerable.Range(0, 24).Select(i =>
            $"Skipet {i} seiler nordover langs kysten i morgen.\n")));
        string model = InfraPaths.FixtureModel("bert-cased-mean");
        var ok = SkaldProcess.RunIn(dir, "train", "--config", TrainConfigs.Write(dir, model, data, "  type: contrastive_tension", out var okDir, maxSteps: 3), "--quiet");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        using (var saved = Checkpoint.OpenFolder(Path.Combine(okDir, "final")))
        using (var source = Checkpoint.OpenFolder(model))
            Assert.Equal(source.Keys.Order(), saved.Keys.Order()); // the model alone, not its copy
        Assert.Contains("ContrastiveTensionLossInBatchNegatives", File.ReadAllText(Path.Combine(okDir, "final", "README.md")));

        Skald.Training.Config.TrainingConfig Config(string outDir) => Skald.Training.Config.ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0.1
            data:
              train: {data}
            training:
              batch_size: 4
              max_steps: 6
            loss:
              type: contrastive_tension
            output:
              dir: {outDir}
              save_steps: 3
              tensorboard: false
            """, "ct.yaml");
        var full = new SentenceTrainer(TrainingRun.Build(Config(Path.Combine(dir, "full")))).Run();
        var cut = Config(Path.Combine(dir, "cut"));
        Assert.Throws<OperationCanceledException>(() => new SentenceTrainer(TrainingRun.Build(cut,
            p => { if (p.Step == 5) throw new OperationCanceledException(); })).Run());
        var resumed = new SentenceTrainer(TrainingRun.Build(cut)).Run();
        Assert.EndsWith("step-3", resumed.ResumedFrom);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.ModelPath, "model.safetensors")),
            File.ReadAllBytes(Path.Combine(resumed.ModelPath, "model.safetensors")));

        string pairs = InfraPaths.WriteFile(dir, "pairs.jsonl", "{\"a\": \"Hei.\", \"b\": \"Hallo.\"}\n{\"a\": \"Ja.\", \"b\": \"Nei.\"}\n");
        TrainConfigs.AssertRefused(dir, TrainConfigs.Write(dir, model, pairs, "  type: contrastive_tension", out _), "needs one text column");
        TrainConfigs.AssertRefused(dir, TrainConfigs.Write(dir, model, data, "  type: contrastive_tension\n  cached: true", out _), "loss.cached takes a loss over embeddings");
        TrainConfigs.AssertRefused(dir, TrainConfigs.Write(dir, model, data, "  type: contrastive_tension\n  pos_neg_ratio: 4", out _), "loss.pos_neg_ratio is the pair-sampling ContrastiveTensionLoss's");
        var pairsRun = SkaldProcess.RunIn(dir, "train", "--config", TrainConfigs.Write(dir, model, data, "  type: contrastive_tension_pairs\n  pos_neg_ratio: 4", out var pairsDir, maxSteps: 2), "--quiet");
        Assert.True(pairsRun.ExitCode == 0, pairsRun.Stderr);
        Assert.Contains("loss:ContrastiveTensionLoss", File.ReadAllText(Path.Combine(pairsDir, "final", "README.md")));
    }
}
