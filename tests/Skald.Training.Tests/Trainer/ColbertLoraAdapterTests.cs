using System.Text.Json;
using Skald.Models.Adapters;
using Skald.Models.LateInteraction;
using Skald.Models.Modules;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Trainer;

/// <summary>
/// <c>lora.save: adapter</c> on a ColBERT: the run's final folder is PyLate's layout with the peft adapter in place of the
/// transformer's weights (sentence-transformers' save after <c>add_adapter</c>), and <see cref="ColbertEncoder.Load"/>
/// reads it as the base with the adapter merged: the same scores as the same run's merged save.
/// </summary>
public sealed class ColbertLoraAdapterTests : IDisposable
{
    private readonly string dir = InfraPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static readonly string Colbert = CorePaths.FixtureModel("colbert-bert-tiny");

    private string Triplets(int rows) => InfraPaths.WriteFile(dir, "train.jsonl", string.Concat(Enumerable.Range(0, rows).Select(i =>
        $"{{\"query\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}\n")));

    private TrainingConfig Config(string model, string output, int steps) => ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0.0
            data:
              train: {Triplets(8)}
            training:
              batch_size: 4
              learning_rate: 5.0e-3
              max_steps: {steps}
            output:
              dir: {output}
              save_steps: 0
              tensorboard: false
            loss:
              type: colbert_contrastive
            lora:
              r: 4
              alpha: 8
              dropout: 0.0
              target_modules: [query, value]
              save: adapter
            """, "c.yaml");

    private static readonly string[] Documents = ["Hus 3 ligger ved sjøen.", "Bussen går klokka 3.", "Fjorden ligg stille i morgonsola.", "Ja."];

    // Each document's MaxSim against one query, in document order.
    private static float[] Scores(string folder)
    {
        using var model = ColbertEncoder.Load(folder);
        return [.. model.Rank("Hvor ligger hus nummer 3?", Documents).OrderBy(h => h.Index).Select(h => h.Score)];
    }

    private static void Near(float[] want, float[] got)
    {
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5, $"document {i}: merged {want[i]}, adapter {got[i]}");
    }

    [Fact]
    public void ASecondAdapterOnAnAdapterFolderLoadsOverTheSameBase()
    {
        string first = Path.Combine(dir, "first");
        new SentenceTrainer(TrainingRun.Build(Config(Colbert, first, 1))).Run();
        var setup = TrainingRun.Build(Config(Path.Combine(first, "final"), Path.Combine(dir, "second"), 1));
        var model = Assert.IsType<TrainableEncoder>(setup.Model);
        new SentenceTrainer(setup).Run();
        string final = Path.Combine(dir, "second", "final");
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, PeftAdapters.ConfigFile))))
            Assert.Equal(Path.GetFullPath(Colbert), Path.GetFullPath(doc.RootElement.GetProperty(AdapterBase.BaseKey).GetString()!));
        string merged = Path.Combine(dir, "merged");
        model.SaveMerged = true;
        model.Save(merged);
        Near(Scores(merged), Scores(final));
    }

    [Fact]
    public void AnAdapterFolderScoresAsTheMergedSaveOfTheSameRun()
    {
        var config = ConfigLoader.Parse($"""
            model:
              path: {Colbert}
              dropout: 0.0
            data:
              train: {Triplets(8)}
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
              save: adapter
            """, "c.yaml");
        var setup = TrainingRun.Build(config);
        var model = Assert.IsType<TrainableEncoder>(setup.Model);
        new SentenceTrainer(setup).Run();
        string final = Path.Combine(config.Output.Dir, "final");

        // PyLate's modules, the adapter in the Transformer module, no transformer weights.
        Assert.True(ModelFolder.IsAdapterModule(final));
        Assert.False(File.Exists(Path.Combine(final, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(final, "1_Dense", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(final, ColbertSettings.FileName)));
        using (var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, PeftAdapters.ConfigFile))))
            Assert.Equal(Path.GetFullPath(Colbert), Path.GetFullPath(doc.RootElement.GetProperty(AdapterBase.BaseKey).GetString()!));
        Assert.True(ColbertEncoder.IsColbert(final));

        string merged = Path.Combine(dir, "merged");
        model.SaveMerged = true;
        model.Save(merged);

        string[] documents = ["Hus 3 ligger ved sjøen.", "Bussen går klokka 3.", "Fjorden ligg stille i morgonsola.", "Ja."];
        using var fromAdapter = ColbertEncoder.Load(final);
        using var fromMerged = ColbertEncoder.Load(merged);
        using var untrained = ColbertEncoder.Load(Colbert);
        var want = fromMerged.Rank("Hvor ligger hus nummer 3?", documents).OrderBy(h => h.Index).ToArray();
        var got = fromAdapter.Rank("Hvor ligger hus nummer 3?", documents).OrderBy(h => h.Index).ToArray();
        var before = untrained.Rank("Hvor ligger hus nummer 3?", documents).OrderBy(h => h.Index).ToArray();
        for (int i = 0; i < documents.Length; i++) Assert.True(Math.Abs(want[i].Score - got[i].Score) <= 1e-5, $"document {i}: merged {want[i].Score}, adapter {got[i].Score}");
        Assert.Contains(Enumerable.Range(0, documents.Length), i => Math.Abs(want[i].Score - before[i].Score) > 1e-3); // the run changed the scores
    }
}
