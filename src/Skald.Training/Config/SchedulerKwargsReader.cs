using Skald.Training.Optim;
using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// Reads <c>training.scheduler_kwargs</c> (transformers' lr_scheduler_kwargs, a mapping such as <c>{power: 2.0}</c>):
/// only the keys the chosen scheduler takes, named as transformers names them, so a key of another scheduler or a
/// misspelt one is an unknown key with a "did you mean".
/// </summary>
internal static class SchedulerKwargsReader
{
    /// <summary>The settings for <paramref name="kind"/>, checked against the peak <paramref name="learningRate"/>.</summary>
    public static SchedulerKwargs Read(SectionReader t, string kind, float learningRate, string file)
    {
        var node = t.Node("scheduler_kwargs");
        if (node is null)
        {
            if (kind == "cosine_with_min_lr")
                throw new TrainingException($"{t.Where("scheduler")}: training.scheduler cosine_with_min_lr needs training.scheduler_kwargs " +
                    "with min_lr or min_lr_rate (e.g. {min_lr_rate: 0.1})");
            if (kind == "warmup_stable_decay")
                throw new TrainingException($"{t.Where("scheduler")}: training.scheduler warmup_stable_decay needs training.scheduler_kwargs " +
                    "with num_decay_steps (e.g. {num_decay_steps: 100})");
            return new SchedulerKwargs();
        }
        if (node is not YamlMappingNode map)
            throw new TrainingException($"{t.Where("scheduler_kwargs")}: training.scheduler_kwargs must be a mapping of settings (e.g. {{power: 2.0}})");
        if (kind is "linear" or "constant" && map.Children.Count > 0)
            throw new TrainingException($"{t.Where("scheduler_kwargs")}: training.scheduler {kind} takes no scheduler_kwargs");
        // (values given by --set training.scheduler_kwargs={...} or --set training.scheduler_kwargs.power=2 are located by that --set)
        string where = t.Where("scheduler_kwargs");
        var setBy = t.SetBy("scheduler_kwargs");
        var k = SectionReader.FromMapping("training.scheduler_kwargs", map, file, setBy: setBy);
        var kw = new SchedulerKwargs();
        switch (kind)
        {
            case "cosine":
                kw = kw with { NumCycles = k.Double("num_cycles", 0.5, 0) };
                break;
            case "cosine_with_restarts":
                kw = kw with { NumCycles = k.Int("num_cycles", 1, 1) };
                break;
            case "polynomial":
                kw = kw with { Power = k.Double("power", 1, 0), LrEnd = k.Double("lr_end", 1e-7, 0) };
                if (kw.LrEnd >= learningRate)
                    throw new TrainingException($"{k.Where("lr_end")}: training.scheduler_kwargs.lr_end ({kw.LrEnd}) must be below " +
                        $"training.learning_rate ({learningRate}): the polynomial decay ends there");
                break;
            case "cosine_with_min_lr":
                kw = kw with { NumCycles = k.Double("num_cycles", 0.5, 0), MinLrRate = MinLrRate(k, learningRate, where) };
                break;
            case "inverse_sqrt":
                kw = kw with { Timescale = k.Int("timescale", 0, 1) };
                break;
            case "warmup_stable_decay":
                if (k.Str("num_decay_steps") is null) throw k.Missing("num_decay_steps");
                kw = kw with
                {
                    NumDecaySteps = k.Int("num_decay_steps", 0, 0),
                    NumStableSteps = k.Int("num_stable_steps", -1, 0),
                    WarmupType = k.Choice("warmup_type", "linear", "linear", "cosine", "1-sqrt"),
                    DecayType = k.Choice("decay_type", "cosine", "linear", "cosine", "1-sqrt"),
                    MinLrRatio = k.Double("min_lr_ratio", 0, 0, 1),
                    NumCycles = k.Double("num_cycles", 0.5, 0),
                };
                break;
        }
        k.Done();
        return kw;
    }

    // exactly one of min_lr (an absolute rate) and min_lr_rate (a fraction of the peak), as transformers demands
    private static double MinLrRate(SectionReader k, float learningRate, string where)
    {
        bool hasRate = k.Str("min_lr_rate") is not null, hasLr = k.Str("min_lr") is not null;
        if (hasRate && hasLr)
            throw new TrainingException($"{k.Where("min_lr")}: training.scheduler_kwargs sets both min_lr and min_lr_rate; set one of them");
        if (hasLr)
        {
            double min = k.Double("min_lr", 0, 0);
            if (min > learningRate)
                throw new TrainingException($"{k.Where("min_lr")}: training.scheduler_kwargs.min_lr ({min}) must not exceed training.learning_rate ({learningRate})");
            return learningRate > 0 ? min / learningRate : 0;
        }
        if (hasRate) return k.Double("min_lr_rate", 0, 0, 1);
        throw new TrainingException($"{where}: training.scheduler cosine_with_min_lr needs min_lr or min_lr_rate in training.scheduler_kwargs");
    }
}
