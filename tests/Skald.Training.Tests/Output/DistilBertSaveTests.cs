using Skald.Models;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// DistilBERT through the normal trainer: MultipleNegativesRankingLoss steps on the distiluse-shaped fixture
/// (DistilBERT → mean pooling → Dense tanh) train the transformer and the Dense module, and the saved folder holds
/// DistilBERT's own keys (transformers loads it), its Dense module, and reloads with the embeddings the trainer had.
/// </summary>
public sealed class DistilBertSaveTests
{
    private static readonly string[] Texts = ["Hvor ligger legekontoret?", "Legekontoret ligger i sentrum.", "Det regner i Bergen."];

    private readonly string dir = InfraPaths.NewTempDir();

    [Fact]
    public void MnrlTrainedDistiluseFolderKeepsDistilBertKeysAndReloads()
    {
        string source = InfraPaths.FixtureModel("distiluse-tiny");
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 24).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger i sentrum.\"}}\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {source}
              dropout: 0.1
            data:
              train: {data}
            loss:
              type: mnrl
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: 3
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, "run")}
              save_steps: 0
              tensorboard: false
            """, "t.yaml");
        var setup = TrainingRun.Build(config);
        Assert.IsType<DistilBert>(Assert.IsType<TrainableEncoder>(setup.Model).Model.Transformer);
        var result = new SentenceTrainer(setup).Run();
        Assert.Equal(3, result.Steps);
        string saved = result.ModelPath;

        using (var original = Checkpoint.OpenFolder(source))
        using (var written = Checkpoint.OpenFolder(saved))
        {
            Assert.Equal(original.Keys.Order(StringComparer.Ordinal), written.Keys.Order(StringComparer.Ordinal));
            Assert.Contains("transformer.layer.1.attention.q_lin.weight", written.Keys);
            Assert.NotEqual(original.Read("transformer.layer.1.attention.q_lin.weight", 32, 32),
                written.Read("transformer.layer.1.attention.q_lin.weight", 32, 32)); // trained
        }
        using (var dense = Checkpoint.OpenFolder(Path.Combine(saved, "2_Dense")))
        using (var denseBefore = Checkpoint.OpenFolder(Path.Combine(source, "2_Dense")))
            Assert.NotEqual(denseBefore.Read("linear.weight", 24, 32), dense.Read("linear.weight", 24, 32)); // the Dense module trains too
        Assert.Equal("distilbert", TransformerConfig.Load(Path.Combine(saved, "config.json")).ModelType);

        var reloaded = SentenceEncoder.Load(saved);
        Assert.IsType<DistilBert>(reloaded.Transformer);
        var trained = setup.Model.Encode(Texts);
        var again = reloaded.Encode(Texts);
        for (int i = 0; i < Texts.Length; i++)
            for (int k = 0; k < trained[i].Length; k++)
                Assert.True(MathF.Abs(trained[i][k] - again[i][k]) <= 2e-5f, $"text {i} component {k}: {trained[i][k]} vs {again[i][k]}");
        Assert.NotEqual(SentenceEncoder.Load(source).Encode(Texts)[0], again[0]);
    }

    [Fact]
    public void SinusoidalPositionTableStaysFixedWhileTheRestTrains()
    {
        // sinusoidal_pos_embds: upstream's requires_grad=False keeps the table out of the optimiser (no update, no decay).
        string source = InfraPaths.FixtureModel("distilbert-sinusoidal-tiny");
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 16).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger i sentrum.\"}}\n")));
        var config = ConfigLoader.Parse($"""
            model:
              path: {source}
            data:
              train: {data}
            training:
              batch_size: 8
              learning_rate: 1.0e-2
              weight_decay: 0.1
              max_steps: 2
            output:
              dir: {Path.Combine(dir, "sinusoidal")}
              save_steps: 0
              tensorboard: false
            """, "t.yaml");
        var setup = TrainingRun.Build(config);
        Assert.DoesNotContain(setup.Model.Parameters, p => p.Name == "embeddings.position_embeddings.weight");
        string saved = new SentenceTrainer(setup).Run().ModelPath;
        const string table = "embeddings.position_embeddings.weight";
        using var original = Checkpoint.OpenFolder(source);
        using var written = Checkpoint.OpenFolder(saved);
        Assert.Equal(original.Read(table, 40, 32), written.Read(table, 40, 32));
        Assert.NotEqual(original.Read("transformer.layer.0.ffn.lin1.weight", 48, 32), written.Read("transformer.layer.0.ffn.lin1.weight", 48, 32));
    }
}
