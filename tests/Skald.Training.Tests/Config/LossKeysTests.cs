using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// A <c>loss</c> key that the chosen loss does not read is one line naming it and the loss that does: a config with
/// <c>matryoshka_dims</c> under <c>type: mnrl</c>, <c>mini_batch_size: 8</c> without caching or a teacher under
/// <c>cosent</c> trained as if the key were not there.
/// </summary>
public sealed class LossKeysTests
{
    private const string Head = MinimalConfig.Yaml + "\nloss:\n";

    [Theory]
    [InlineData("type: mnrl\n  matryoshka_dims: [16, 8]", "c.yaml:9: loss.matryoshka_dims is MatryoshkaLoss's (loss.type: matryoshka), not loss.type mnrl's")]
    [InlineData("type: cosent\n  matryoshka_weights: [1, 1]", "c.yaml:9: loss.matryoshka_weights is MatryoshkaLoss's (loss.type: matryoshka), not loss.type cosent's")]
    [InlineData("type: mnrl\n  matryoshka_inner: cosent", "c.yaml:9: loss.matryoshka_inner is MatryoshkaLoss's (loss.type: matryoshka), not loss.type mnrl's")]
    [InlineData("type: mnrl\n  mini_batch_size: 8",
        "c.yaml:9: loss.mini_batch_size is GradCache's rows per chunk (loss.type: cached_mnrl, or loss.cached: true), not loss.type mnrl's; add loss.cached: true to run the batch in chunks")]
    [InlineData("type: triplet\n  symmetric: true",
        "c.yaml:9: loss.symmetric is MultipleNegativesRankingLoss's (loss.type: mnrl, or matryoshka / splade / csr over mnrl), not loss.type triplet's")]
    [InlineData("type: cached_mnrl\n  symmetric: true",
        "c.yaml:9: loss.symmetric is MultipleNegativesRankingLoss's (loss.type: mnrl, or matryoshka / splade / csr over mnrl), not loss.type cached_mnrl's; for a cached symmetric loss use loss.type: mnrl with loss.cached: true")]
    [InlineData("type: matryoshka\n  matryoshka_inner: cosent\n  symmetric: true",
        "c.yaml:10: loss.symmetric is MultipleNegativesRankingLoss's (loss.type: mnrl, or matryoshka / splade / csr over mnrl), not loss.type matryoshka's")]
    [InlineData("type: cosent\n  teacher: models/teacher",
        "c.yaml:9: loss.teacher is MSELoss's (loss.type: mse), not loss.type cosent's; margin_mse and distill_kl read a teacher's scores from the label column")]
    [InlineData("type: mnrl\n  guide: models/guide", "c.yaml:9: loss.guide is GISTEmbedLoss's (loss.type: gist), not loss.type mnrl's")]
    [InlineData("type: mnrl\n  margin_strategy: relative", "c.yaml:9: loss.margin_strategy is GISTEmbedLoss's (loss.type: gist), not loss.type mnrl's")]
    [InlineData("type: mnrl\n  contrast_anchors: false", "c.yaml:9: loss.contrast_anchors is GISTEmbedLoss's (loss.type: gist), not loss.type mnrl's")]
    [InlineData("type: simcse\n  mask_probability: 0.3", "c.yaml:9: loss.mask_probability is the masked-LM and MNTP losses' (loss.type: mlm or mntp), not loss.type simcse's")]
    [InlineData("type: mlm\n  mask_collator: all_mask", "c.yaml:9: loss.mask_collator is MNTP's (loss.type: mntp), not loss.type mlm's")]
    [InlineData("type: cosent\n  num_labels: 3", "c.yaml:9: loss.num_labels is the classifiers' (loss.type: softmax, bce or cross_entropy), not loss.type cosent's")]
    [InlineData("type: mnrl\n  max_seq_length: 128",
        "c.yaml:9: loss.max_seq_length is causal-LM fine-tuning's (loss.type: causal_lm), not loss.type mnrl's; an embedding model's is model.max_seq_length")]
    public void AKeyTheLossDoesNotReadIsNamed(string loss, string message)
    {
        Assert.Equal(message, Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Head + "  " + loss + "\n", "c.yaml")).Message);
    }

    [Theory]
    [InlineData("training.group_by_length=true",
        "--set: training.group_by_length batches instruction rows by their length (loss.type: causal_lm), not loss.type mnrl's")]
    [InlineData("data.prompt_format=chat_template",
        "--set: data.prompt_format writes the prompts of instruction rows (loss.type: causal_lm), not loss.type mnrl's")]
    public void InstructionKeysUnderAnotherLossAreNamed(string set, string message)
    {
        // Read for causal_lm only, they were ignored under the embedding losses.
        Assert.Equal(message, Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Head + "  type: mnrl\n", "c.yaml", [set])).Message);
        var sft = ConfigLoader.Parse(Head + "  type: causal_lm\n", "c.yaml", [set]);
        Assert.True(sft.Training.GroupByLength || sft.Data.PromptFormat == "chat_template");
    }

    [Fact]
    public void ACommandLineKeyIsNamedByItsSet()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Head + "  type: mnrl\n", "c.yaml", ["loss.matryoshka_dims=[16]"]));
        Assert.StartsWith("--set: loss.matryoshka_dims is MatryoshkaLoss's", e.Message);
    }

    [Theory]
    // configs/train-example.yaml writes these at their defaults under every loss: still accepted.
    [InlineData("type: triplet\n  symmetric: false\n  mini_batch_size: 32\n  matryoshka_inner: mnrl\n  mask_collator: default\n  matryoshka_dims: null")]
    [InlineData("type: mnrl\n  symmetric: true")]
    [InlineData("type: matryoshka\n  symmetric: true\n  matryoshka_dims: [16, 8]\n  matryoshka_weights: [1, 0.5]")]
    [InlineData("type: mnrl\n  cached: true\n  mini_batch_size: 8\n  symmetric: true")]
    [InlineData("type: cached_mnrl\n  mini_batch_size: 8")]
    [InlineData("type: gist\n  guide: g\n  margin_strategy: relative\n  contrast_anchors: false\n  contrast_positives: false")]
    [InlineData("type: mse\n  teacher: t")]
    [InlineData("type: mntp\n  mask_probability: 0.2\n  mask_collator: all_mask")]
    [InlineData("type: softmax\n  num_labels: 3")]
    [InlineData("type: causal_lm\n  max_seq_length: 256")]
    [InlineData("type: splade\n  symmetric: true")]
    public void KeysTheLossReadsAreAccepted(string loss)
    {
        Assert.NotNull(ConfigLoader.Parse(Head + "  " + loss + "\n", "c.yaml"));
    }
}
