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

    [Fact]
    public void AMistypedKeyFromSetGetsTheSuggestionToo()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Minimal, "c.yaml", ["training.bacth_size=8"]));
        Assert.StartsWith("--set training.bacth_size: unknown config key 'training.bacth_size'; did you mean 'training.batch_size'?", e.Message);
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
        Assert.StartsWith("--set loss.type: loss.type got 'mnlr'; did you mean 'mnrl'? (must be one of mnrl, cached_mnrl, ", e.Message);
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
}
