using System.Text.Json;
using Skald.Training.Config;
using Skald.Training.Optim;
using Skald.Training.Tests.Config;

namespace Skald.Training.Tests.Optim;

/// <summary>
/// transformers' schedulers against fixtures/training/lr_schedules.json (make_lr_schedules.py: transformers'
/// LambdaLR multipliers restated in plain Python and driven by torch's LambdaLR as Trainer steps it), each read from a
/// config as a user writes it (training.scheduler + training.scheduler_kwargs), then the one-line refusals.
/// </summary>
public sealed class LearningRateScheduleTests
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllText(CorePaths.TrainingFixture("lr_schedules.json")))
        .RootElement.GetProperty("cases");

    /// <summary>The fixture's case names.</summary>
    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var c in Cases.EnumerateArray()) names.Add(c.GetProperty("name").GetString()!);
        return names;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryStepsRateIsTransformers(string name)
    {
        var c = Cases.EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var kwargs = c.GetProperty("kwargs");
        string yaml = MinimalConfig.Yaml + $"""

            training:
              scheduler: {c.GetProperty("scheduler").GetString()}
              learning_rate: {c.GetProperty("learning_rate").GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture)}
              warmup_steps: {c.GetProperty("warmup_steps").GetInt32()}
            """ + (kwargs.EnumerateObject().Any() ? $"\n  scheduler_kwargs: {kwargs.GetRawText()}\n" : "\n");
        var t = ConfigLoader.Parse(yaml, "c.yaml").Training;
        var schedule = new LearningRateSchedule(t.Scheduler, t.LearningRate, t.WarmupSteps, c.GetProperty("total_steps").GetInt32(), t.SchedulerKwargs);
        var rates = c.GetProperty("rates").EnumerateArray().Select(r => r.GetDouble()).ToArray();
        for (int step = 0; step < rates.Length; step++)
        {
            Assert.True(Math.Abs(schedule.Factor(step) * schedule.PeakRate - rates[step]) <= 1e-7,
                $"{name} step {step}: {schedule.Factor(step) * schedule.PeakRate} vs {rates[step]}");
            Assert.True(Math.Abs(schedule.At(step) - rates[step]) <= 2e-7 * Math.Max(1, rates[step]), $"{name} step {step} (float)");
        }
    }

    [Theory]
    [InlineData("scheduler: cosine_with_min_lr", "c.yaml:9: training.scheduler cosine_with_min_lr needs training.scheduler_kwargs with min_lr or min_lr_rate")]
    [InlineData("scheduler: cosine_with_min_lr\n  scheduler_kwargs: {num_cycles: 1}", "training.scheduler cosine_with_min_lr needs min_lr or min_lr_rate")]
    [InlineData("scheduler: cosine_with_min_lr\n  scheduler_kwargs: {min_lr: 1.0e-6, min_lr_rate: 0.1}", "sets both min_lr and min_lr_rate; set one of them")]
    [InlineData("scheduler: cosine_with_min_lr\n  scheduler_kwargs: {min_lr: 1.0}", "training.scheduler_kwargs.min_lr (1) must not exceed training.learning_rate")]
    [InlineData("scheduler: cosine_with_min_lr\n  scheduler_kwargs: {min_lr_rate: 1.5}", "training.scheduler_kwargs.min_lr_rate must be between 0 and 1, got 1.5")]
    [InlineData("scheduler: polynomial\n  scheduler_kwargs: {lr_end: 0.001}", "c.yaml:10: training.scheduler_kwargs.lr_end (0.001) must be below training.learning_rate")]
    [InlineData("scheduler: polynomial\n  scheduler_kwargs: {power: -1}", "training.scheduler_kwargs.power must be at least 0, got -1")]
    [InlineData("scheduler: cosine\n  scheduler_kwargs: {power: 2}", "unknown config key 'training.scheduler_kwargs.power' (known keys in training.scheduler_kwargs: num_cycles)")]
    [InlineData("scheduler: cosine_with_restarts\n  scheduler_kwargs: {num_cylces: 2}", "did you mean 'training.scheduler_kwargs.num_cycles'?")]
    [InlineData("scheduler: cosine_with_restarts\n  scheduler_kwargs: {num_cycles: 0}", "training.scheduler_kwargs.num_cycles must be at least 1, got 0")]
    [InlineData("scheduler: inverse_sqrt\n  scheduler_kwargs: {timescale: 0}", "training.scheduler_kwargs.timescale must be at least 1, got 0")]
    [InlineData("scheduler: warmup_stable_decay", "training.scheduler warmup_stable_decay needs training.scheduler_kwargs with num_decay_steps")]
    [InlineData("scheduler: warmup_stable_decay\n  scheduler_kwargs: {num_stable_steps: 5}", "missing required key 'training.scheduler_kwargs.num_decay_steps'")]
    [InlineData("scheduler: warmup_stable_decay\n  scheduler_kwargs: {num_decay_steps: 5, decay_type: sqrts}", "c.yaml:10: training.scheduler_kwargs.decay_type")]
    [InlineData("scheduler: linear\n  scheduler_kwargs: {num_cycles: 2}", "training.scheduler linear takes no scheduler_kwargs")]
    [InlineData("scheduler: polynomial\n  scheduler_kwargs: 2", "training.scheduler_kwargs must be a mapping of settings")]
    [InlineData("scheduler: polynomial\n  lr_scheduler_kwargs: {power: 2}", "unknown config key 'training.lr_scheduler_kwargs'; did you mean 'training.scheduler_kwargs'?")]
    [InlineData("scheduler: polinomial", "training.scheduler got 'polinomial'; did you mean 'polynomial'?")]
    public void BadSchedulerSettingsAreOneLine(string lines, string message)
    {
        var e = Assert.Throws<TrainingException>(() => ConfigLoader.Parse(MinimalConfig.Yaml + "\ntraining:\n  learning_rate: 1.0e-4\n  " + lines + "\n", "c.yaml"));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
