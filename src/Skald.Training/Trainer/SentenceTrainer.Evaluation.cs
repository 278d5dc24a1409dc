using Skald.Training.Config;

namespace Skald.Training.Trainer;

// SentenceTrainer, continued: evaluation during training and the best model (evaluation.metric_for_best_model).
public sealed partial class SentenceTrainer
{
    private void CheckBestMetric()
    {
        if (config.Evaluation.MetricForBestModel is not { } name) return;
        var known = setup.Evaluators.SelectMany(e => e.MetricNames).Concat(setup.Evaluators.Count > 1 ? [SequentialScore] : []).ToList();
        if (known.Count == 0)
            throw new TrainingException(
                $"evaluation.metric_for_best_model is '{name}' but nothing is evaluated (set data.eval, data.eval_split, evaluation.retrieval or evaluation.tasks)");
        if (!known.Contains(name) && !setup.Evaluators.Any(e => e.Provides(name)))
            throw new TrainingException($"evaluation.metric_for_best_model '{name}' is not among the metrics" +
                (Skald.Retrieval.Data.Typos.Closest(name, known) is { } near ? $"; did you mean '{near}'?" : "") +
                (name == "eval_loss" ? " (eval_loss is computed for loss.type causal_lm only)" : "") + $" ({string.Join(", ", known)}" +
                (setup.Evaluators.OfType<Evaluation.TaskFileEvaluator>().Any() ? ", or any metric of an evaluation.tasks task as eval_TASK_METRIC)" : ")"));
    }

    /// <summary>The key of sentence-transformers' SequentialEvaluator's score as its trainer logs it.</summary>
    private const string SequentialScore = "eval_" + Skald.Evaluation.Evaluators.SequentialEvaluator.MainScoreKey;

    /// <summary>
    /// Every evaluator's metrics; with several evaluators also <c>eval_sequential_score</c>, the last one's primary
    /// metric, as sentence-transformers' trainer wraps an evaluator list in a SequentialEvaluator.
    /// </summary>
    private Dictionary<string, double> Evaluate()
    {
        var result = new Dictionary<string, double>();
        var primary = new List<double>();
        foreach (var e in setup.Evaluators)
        {
            var metrics = e.Evaluate(setup.Model, config.Evaluation.BatchSize);
            foreach (var (k, v) in metrics) result[k] = v;
            primary.Add(metrics.TryGetValue(e.PrimaryMetric, out double p) ? p : double.NaN);
        }
        if (setup.Evaluators.Count > 1) result[SequentialScore] = Skald.Evaluation.Evaluators.SequentialEvaluator.Last(primary);
        return result;
    }

    private TrainerState TrackBest(TrainerState state, Dictionary<string, double> m, int step, CheckpointStore store,
        IReadOnlyList<Parameter> parameters)
    {
        string? name = state.BestMetricName ?? m.Keys.FirstOrDefault();
        if (name is null) return state;
        if (!m.TryGetValue(name, out double v))
            throw new TrainingException(
                $"evaluation.metric_for_best_model '{name}' is not among the metrics ({string.Join(", ", m.Keys)})");
        bool better = state.BestMetric is not { } best || (config.Evaluation.IsGreaterBetter(name) ? v > best : v < best);
        if (!better || !double.IsFinite(v)) return state with { BestMetricName = name };
        if (config.Evaluation.LoadBestModelAtEnd) store.SaveBest(parameters, name, v, step);
        return state with { BestMetricName = name, BestMetric = v, BestStep = step };
    }
}
