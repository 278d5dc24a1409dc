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
        var setup = Setup(source, "run", dropout: 0.1f, steps: 3, learningRate: 1e-3f, weightDecay: 0.01f);
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
        var setup = Setup(source, "sinusoidal", dropout: 0f, steps: 2, learningRate: 1e-2f, weightDecay: 0.1f);
        const string table = "embeddings.position_embeddings.weight";
        string saved = new SentenceTrainer(setup).Run().ModelPath;
        using var original = Checkpoint.OpenFolder(source);
        using var written = Checkpoint.OpenFolder(saved);
        Assert.Equal(original.Read(table, 40, 32), written.Read(table, 40, 32));
        Assert.NotEqual(original.Read("transformer.layer.0.ffn.lin1.weight", 48, 32), written.Read("transformer.layer.0.ffn.lin1.weight", 48, 32));
        Assert.DoesNotContain(setup.Model.Parameters, p => p.Name == table);
    }

    /// <summary>MultipleNegativesRankingLoss (the default loss) over 24 pairs on <paramref name="source"/>, batch 8.</summary>
    private TrainerSetup Setup(string source, string run, float dropout, int steps, float learningRate, float weightDecay)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 24).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus {i}?\", \"positive\": \"Huset {i} ligger i sentrum.\"}}\n")));
        var config = ConfigLoader.Parse(FormattableString.Invariant($"""
            model:
              path: {source}
              dropout: {dropout}
            data:
              train: {data}
            training:
              batch_size: 8
              max_steps: {steps}
              learning_rate: {learningRate}
              weight_decay: {weightDecay}
              logging_steps: 1
            output:
              dir: {Path.Combine(dir, run)}
              save_steps: 0
              tensorboard: false
            """), "t.yaml");
        return TrainingRun.Build(config);
    }
}
