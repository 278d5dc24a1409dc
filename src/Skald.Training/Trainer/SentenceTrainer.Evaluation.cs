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
                (name == EvalLoss ? " (eval_loss is computed for loss.type causal_lm only)" : "") + $" ({string.Join(", ", known)}" +
                (setup.Evaluators.Any(e => e is Evaluation.TaskFileEvaluator or Evaluation.MatryoshkaEvaluator { Inner: Evaluation.TaskFileEvaluator }) ? ", or any metric of an evaluation.tasks task as eval_TASK_METRIC)" : ")"));
    }

    /// <summary>
    /// The metric that selects the best model: <c>evaluation.metric_for_best_model</c>, else <c>eval_loss</c> when it is
    /// computed (transformers' TrainingArguments default it to the loss), else the evaluator's primary metric
    /// (<see cref="Evaluation.IEvaluator.PrimaryMetric"/>: what sentence-transformers' evaluators name for model
    /// selection, e.g. nDCG@10 for retrieval), or with several evaluators <c>eval_sequential_score</c>, the primary
    /// metric of the SequentialEvaluator sentence-transformers wraps them in; null when nothing is evaluated.
    /// </summary>
    /// <remarks>
    /// Upstream: training_args.py (__post_init__: metric_for_best_model = "loss" under load_best_model_at_end) in
    /// huggingface/transformers at fd798335c275520af034c678b35e8167820c7c80;
    /// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/SentenceEvaluator.py
    /// (primary_metric, "used for model selection"), .../sentence_transformers/evaluation/SequentialEvaluator.py.
    /// The first key reported (accuracy@1 for retrieval) chose before.
    /// </remarks>
    private string? BestMetric()
    {
        if (config.Evaluation.MetricForBestModel is { } named) return named;
        if (setup.Evaluators.Any(e => e.MetricNames.Contains(EvalLoss))) return EvalLoss;
        return setup.Evaluators.Count switch
        {
            0 => null,
            1 => setup.Evaluators[0].PrimaryMetric,
            _ => SequentialScore,
        };
    }

    /// <summary>Whether the run said that the metric choosing the best model was not reported (<see cref="TrackBest"/>: once).</summary>
    private bool saidBestMetricMissing;

    /// <summary>transformers' key of the evaluation loss (<see cref="Evaluation.CausalLmEvaluator"/>).</summary>
    private const string EvalLoss = "eval_loss";

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
        if (state.BestMetricName is not { } name) return state;
        if (!m.TryGetValue(name, out double v))
        {
            // A metric no evaluation reports (a default primary metric an evaluator left out, a named metric of an
            // evaluation.tasks task that turned out not to report it, a resumed run's recorded one): said once, and the
            // run trains on without a best model rather than stop after hours of training.
            if (!saidBestMetricMissing)
                setup.Log?.Invoke($"the best model is not tracked: {(config.Evaluation.MetricForBestModel is null ? "the metric that selects it" : "evaluation.metric_for_best_model")} " +
                    $"'{name}' was not reported (reported: {(m.Count == 0 ? "nothing" : string.Join(", ", m.Keys))})");
            saidBestMetricMissing = true;
            return state;
        }
        bool better = state.BestMetric is not { } best || (config.Evaluation.IsGreaterBetter(name) ? v > best : v < best);
        if (!better || !double.IsFinite(v)) return state with { BestMetricName = name };
        if (config.Evaluation.LoadBestModelAtEnd) store.SaveBest(parameters, name, v, step);
        return state with { BestMetricName = name, BestMetric = v, BestStep = step };
    }
}
