using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// A mistyped config key gets a "did you mean" naming the closest known key of its section, and a mistyped choice (a
/// loss.type) the closest allowed value before the list of them.
/// </summary>
public sealed class KeyTypoTests
{
    private const string Minimal = MinimalConfig.Yaml;

    [Theory]
    [InlineData("\ntraining:\n  learning_rat: 1e-4\n", "c.yaml:8: unknown config key 'training.learning_rat'; did you mean 'training.learning_rate'? (known keys in training:")]
    [InlineData("\nlora:\n  aplha: 8\n", "c.yaml:8: unknown config key 'lora.aplha'; did you mean 'lora.alpha'? (known keys in lora:")]
    public void AMistypedKeySuggestsTheClosestKnownKey(string section, string expected)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + section, "c.yaml"));
        Assert.StartsWith(expected, e.Message);
    }

    [Theory]
    [InlineData("\nlora:\n  lora_alpha: 32\n", "c.yaml:8: unknown config key 'lora.lora_alpha'; did you mean 'lora.alpha'? (known keys in lora:")]
    [InlineData("\nlora:\n  lora_dropout: 0.05\n", "c.yaml:8: unknown config key 'lora.lora_dropout'; did you mean 'lora.dropout'? (known keys in lora:")]
    [InlineData("\nlora:\n  rank: 16\n", "c.yaml:8: unknown config key 'lora.rank'; did you mean 'lora.r'? (known keys in lora:")]
    [InlineData("\ntraining:\n  per_device_train_batch_size: 8\n", "c.yaml:8: unknown config key 'training.per_device_train_batch_size'; did you mean 'training.batch_size'?")]
    [InlineData("\ntraining:\n  num_train_epochs: 1\n", "c.yaml:8: unknown config key 'training.num_train_epochs'; did you mean 'training.epochs'?")]
    public void PeftAndTransformersNamesSuggestSkaldsKey(string section, string expected)
    {
        // far from every known key for a typo's suggestion: the line listed the keys and left the user to map them
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + section, "c.yaml"));
        Assert.StartsWith(expected, e.Message);
    }

    // per_device_train_batch_size is one process's rows; training.batch_size is the global batch under mpirun, so the
    // suggestion says how the two relate instead of offering it as the same setting.
    [Theory]
    [InlineData("per_device_train_batch_size")]
    [InlineData("train_batch_size")]
    public void APerProcessBatchSizeIsPointedAtTheGlobalBatchAndSaysSo(string key)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + $"\ntraining:\n  {key}: 8\n", "c.yaml"));
        Assert.StartsWith($"c.yaml:8: unknown config key 'training.{key}'; did you mean 'training.batch_size'? That is the global batch: {key} times the processes under mpirun, which split it (the same on one process). (known keys in training:", e.Message);
        Assert.DoesNotContain("\n", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThePerDeviceEvalBatchSizeIsPointedAtEvaluationsWithoutANote()
    {
        // evaluation runs on rank 0 alone: its batch is one process's, as upstream's per-device one is
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\ntraining:\n  per_device_eval_batch_size: 8\n", "c.yaml"));
        Assert.StartsWith("c.yaml:8: unknown config key 'training.per_device_eval_batch_size'; did you mean 'evaluation.batch_size'? (known keys", e.Message);
    }

    [Theory]
    [InlineData("\ntraining:\n  save_steps: 100\n", "c.yaml:8: unknown config key 'training.save_steps'; did you mean 'output.save_steps'?")]
    [InlineData("\ntraining:\n  eval_steps: 100\n", "c.yaml:8: unknown config key 'training.eval_steps'; did you mean 'evaluation.steps'?")]
    [InlineData("\ntraining:\n  save_total_limit: 3\n", "c.yaml:8: unknown config key 'training.save_total_limit'; did you mean 'output.save_total_limit'?")]
    [InlineData("\ntraining:\n  metric_for_best_model: eval_x\n", "c.yaml:8: unknown config key 'training.metric_for_best_model'; did you mean 'evaluation.metric_for_best_model'?")]
    [InlineData("\ntraining:\n  load_best_model_at_end: true\n", "c.yaml:8: unknown config key 'training.load_best_model_at_end'; did you mean 'evaluation.load_best_model_at_end'?")]
    [InlineData("\ntraining:\n  output_dir: x\n", "c.yaml:8: unknown config key 'training.output_dir'; did you mean 'output.dir'?")]
    [InlineData("\ntraining:\n  multi_dataset_batch_sampler: proportional\n", "c.yaml:8: unknown config key 'training.multi_dataset_batch_sampler'; did you mean 'data.sampling'?")]
    [InlineData("\n  learning_rate: 1e-4\n", "c.yaml:7: unknown config key 'output.learning_rate'; did you mean 'training.learning_rate'?")]
    [InlineData("\ntraining:\n  max_seq_length: 256\n", "c.yaml:8: unknown config key 'training.max_seq_length'; did you mean 'model.max_seq_length'?")]
    [InlineData("\ntraining:\n  fp16: true\n", "c.yaml:8: unknown config key 'training.fp16': Skald trains in float32")]
    [InlineData("\nlora:\n  task_type: FEATURE_EXTRACTION\n", "c.yaml:8: unknown config key 'lora.task_type': Skald writes peft's task_type into adapter_config.json itself: CAUSAL_LM for loss.type causal_lm, SEQ_CLS")]
    public void TrainingArgumentsNamesInAnotherSectionPointAtTheirSection(string yaml, string expected)
    {
        // TrainingArguments is one flat list; the nearest key by spelling was a wrong one (save_steps -> training.max_steps)
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + yaml, "c.yaml"));
        Assert.StartsWith(expected, e.Message);
    }

    [Theory]
    [InlineData("output.save_steps=100")]
    [InlineData("evaluation.steps=100")]
    [InlineData("output.save_total_limit=3")]
    [InlineData("evaluation.metric_for_best_model=eval_x")]
    [InlineData("evaluation.load_best_model_at_end=true")]
    [InlineData("data.sampling=proportional")]
    [InlineData("model.max_seq_length=256")]
    public void TheSuggestedKeysAreRead(string set) => ConfigLoader.Parse(Minimal, "c.yaml", [set]);

    [Fact]
    public void AMistypedKeyFromSetGetsTheSuggestionToo()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", ["training.bacth_size=8"]));
        Assert.StartsWith("--set: unknown config key 'training.bacth_size'; did you mean 'training.batch_size'?", e.Message);
    }

    [Fact]
    public void AKeyFarFromEveryKnownOneGetsNoSuggestion()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal + "\ntraining:\n  frobnicate: 1\n", "c.yaml"));
        Assert.Contains("unknown config key 'training.frobnicate'", e.Message);
        Assert.DoesNotContain("did you mean", e.Message);
    }

    [Fact]
    public void AMistypedLossTypeSuggestsTheClosestTypeBeforeTheList()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", ["loss.type=mnlr"]));
        Assert.StartsWith("--set: loss.type got 'mnlr'; did you mean 'mnrl'? (must be one of mnrl, cached_mnrl, ", e.Message);
        Assert.Contains(", causal_lm, ", e.Message); // the list is still all there
        Assert.EndsWith(")", e.Message);
    }

    [Fact]
    public void ALossTypeFarFromEveryKnownOneListsThemWithoutASuggestion()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", ["loss.type=frobnicate"]));
        Assert.Contains("loss.type must be one of mnrl, cached_mnrl, ", e.Message);
        Assert.DoesNotContain("did you mean", e.Message);
    }

    // A sentence-transformers (or PyLate) class name is far from every loss.type by spelling, so the typo suggestion found
    // none and the line left the user to map the list; it names Skald's value (and keys) instead.
    [Theory]
    [InlineData("MultipleNegativesRankingLoss", "'mnrl' (a cross-encoder's: 'ce_mnrl')")]
    [InlineData("CachedMultipleNegativesRankingLoss", "'cached_mnrl'")]
    [InlineData("multiplenegativessymmetricrankingloss", "'mnrl' with loss.symmetric: true")]
    [InlineData("MatryoshkaLoss", "'matryoshka' (the loss it wraps as loss.matryoshka_inner)")]
    [InlineData("CachedGISTEmbedLoss", "'gist' with loss.cached: true")]
    [InlineData("Contrastive", "'colbert_contrastive' (PyLate's; sentence-transformers' ContrastiveLoss is 'contrastive')")]
    public void APythonLossClassNamesSkaldsLossType(string given, string ours)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", ["loss.type=" + given]));
        Assert.Equal($"--set: loss.type '{given}' is the Python class; Skald's loss.type for it is {ours}", e.Message);
    }

    [Fact]
    public void SkaldsOwnLossTypeThatShadowsAClassNameStaysItself()
    {
        Assert.Equal("contrastive", ConfigLoader.Parse(Minimal, "c.yaml", ["loss.type=contrastive"]).Loss.Type);
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", ["loss.type=CONTRASTIVE_LOSS"]));
        Assert.StartsWith("--set: loss.type ", e.Message);
        Assert.DoesNotContain("Python class", e.Message);
    }

    [Theory]
    [InlineData("matryoshka", "matryoshka_inner")]
    [InlineData("splade", "splade_inner")]
    public void ACachedInnerLossIsPointedAtLossCached(string type, string inner)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", [$"loss.type={type}", $"loss.{inner}=cached_mnrl"]));
        Assert.Equal($"--set: loss.{inner} cached_mnrl is {inner}: mnrl with loss.cached: true (sentence-transformers' CachedMultipleNegativesRankingLoss inside the wrapper)", e.Message);
    }
}
