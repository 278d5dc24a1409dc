using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>--set section.key.sub=value</c> reaches into a mapping-valued key (<see cref="DottedKey"/>): the file's other
/// entries stay, a missing mapping is made, a value of the wrong type is located by the --set, and a key that holds a
/// single value or a list is one line naming it and where it was given.
/// </summary>
public sealed class DottedSetTests
{
    private const string Polynomial = MinimalConfig.Yaml + """

        training:
          scheduler: polynomial
          learning_rate: 1.0e-3
          scheduler_kwargs: {power: 3.0, lr_end: 1.0e-6}
          learning_rate_mapping: {Pooling: 1.0e-4}
        """;

    [Fact]
    public void ANestedKeyChangesOneEntryAndKeepsTheOthers()
    {
        var t = ConfigLoader.Parse(Polynomial, "c.yaml", ["training.scheduler_kwargs.power=2"]).Training;
        Assert.Equal(2, t.SchedulerKwargs.Power);
        Assert.Equal(1e-6, t.SchedulerKwargs.LrEnd);
    }

    [Fact]
    public void AMissingMappingIsMade()
    {
        var t = ConfigLoader.Parse(MinimalConfig.Yaml + "\ntraining:\n  scheduler: polynomial\n  learning_rate: 1.0e-3\n", "c.yaml",
            ["training.scheduler_kwargs.power=2", "training.scheduler_kwargs.lr_end=1.0e-5", "training.learning_rate_mapping.Dense=5.0e-4"]).Training;
        Assert.Equal(2, t.SchedulerKwargs.Power);
        Assert.Equal(1e-5, t.SchedulerKwargs.LrEnd);
        Assert.Equal([("Dense", 5e-4)], t.LearningRateMapping);
    }

    [Fact]
    public void ANewEntryJoinsTheFilesMapping()
    {
        var t = ConfigLoader.Parse(Polynomial, "c.yaml", ["training.learning_rate_mapping.Dense=5.0e-4"]).Training;
        Assert.Equal([("Pooling", 1e-4), ("Dense", 5e-4)], t.LearningRateMapping);
    }

    [Theory]
    [InlineData("training.scheduler_kwargs.power=abc", "--set: training.scheduler_kwargs.power must be a number, got 'abc'")]
    [InlineData("training.scheduler_kwargs.powr=2", "--set: unknown config key 'training.scheduler_kwargs.powr'; did you mean 'training.scheduler_kwargs.power'?")]
    [InlineData("training.learning_rate_mapping.Dense=fast", "--set: training.learning_rate_mapping['Dense'] must be a number")]
    [InlineData("training.learning_rate.x=1", "--set training.learning_rate.x: training.learning_rate is a single value (c.yaml:9), not a mapping, so it has no key 'x'; set it whole with --set training.learning_rate=...")]
    [InlineData("model.path.x=1", "--set model.path.x: model.path is a single value (c.yaml:2), not a mapping")]
    [InlineData("training.scheduler_kwargs..power=2", "--set training.scheduler_kwargs..power: a key name is empty")]
    [InlineData("training.learning_rate.\"x.y\"=1", "--set training.learning_rate.\"x.y\": training.learning_rate is a single value (c.yaml:9), not a mapping, so it has no key 'x.y'")]
    public void AMismatchIsOneLineNamingTheSet(string assignment, string expected)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Polynomial, "c.yaml", [assignment]));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AListIsNamedAsAList()
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(MinimalConfig.Yaml + "\nloss:\n  matryoshka_dims: [64, 32]\n", "c.yaml",
            ["loss.matryoshka_dims.a=1"]));
        Assert.StartsWith("--set loss.matryoshka_dims.a: loss.matryoshka_dims is a list (c.yaml:8), not a mapping", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameThatHoldsDotsIsWrittenInDoubleQuotes()
    {
        // a data set's file name under training.prompts, a pattern of learning_rate_mapping: the dots were taken as levels
        var c = ConfigLoader.Parse(Polynomial, "c.yaml", ["training.learning_rate_mapping.\"encoder.layer.0\"=2.0e-4",
            "training.learning_rate_mapping.\"a=b\"=3.0e-4", "training.prompts.\"pairs.jsonl\".anchor='query: '"]);
        Assert.Equal([("Pooling", 1e-4), ("encoder.layer.0", 2e-4), ("a=b", 3e-4)], c.Training.LearningRateMapping);
        var prompts = c.Training.Prompts!.Resolve([new Skald.Training.Data.TextDataset("pairs.jsonl", ["anchor", "positive"], [["a", "b"]])]);
        Assert.Equal(new string?[] { "query: ", null }, Assert.Single(prompts));
    }

    [Theory]
    [InlineData("training.prompts.\"pairs.jsonl.anchor=x", "--set training.prompts.\"pairs.jsonl.anchor=x: a quote is not closed")]
    [InlineData("training.prompts.\"pairs.jsonl\"anchor=x", "--set training.prompts.\"pairs.jsonl\"anchor: a quoted name is followed by 'a', not a dot")]
    [InlineData("training.prompts.pairs\".jsonl\".anchor=x", "--set training.prompts.pairs\".jsonl\".anchor: the name 'pairs\"' holds a double quote")]
    public void AMalformedQuoteIsOneLine(string assignment, string expected)
    {
        Assert.StartsWith(expected, ConfigLoader.OverrideError(assignment) ?? "", StringComparison.Ordinal);
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(Polynomial, "c.yaml", [assignment]));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }
}
