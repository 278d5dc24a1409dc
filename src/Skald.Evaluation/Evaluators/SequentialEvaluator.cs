using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// sentence-transformers' <c>SequentialEvaluator</c>: several evaluators run one after another on the same model, and
/// one main score is derived from their main scores by a function, by default the last evaluator's (upstream's
/// <c>main_score_function=lambda scores: scores[-1]</c>). Training reports it as <c>eval_sequential_score</c> when more
/// than one evaluator runs (<see cref="MainScoreKey"/>), the name <c>metric_for_best_model</c> may choose.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/SequentialEvaluator.py</remarks>
public sealed class SequentialEvaluator
{
    private readonly IReadOnlyList<TaskEvaluator> evaluators;
    private readonly Func<IReadOnlyList<double>, double> mainScoreFunction;

    /// <summary>The evaluators, run in this order; <paramref name="mainScoreFunction"/> (default <see cref="Last"/>) derives the main score from theirs.</summary>
    public SequentialEvaluator(IReadOnlyList<TaskEvaluator> evaluators, Func<IReadOnlyList<double>, double>? mainScoreFunction = null)
    {
        ArgumentNullException.ThrowIfNull(evaluators);
        if (evaluators.Count == 0) throw new ArgumentException("no evaluator", nameof(evaluators));
        this.evaluators = evaluators;
        this.mainScoreFunction = mainScoreFunction ?? Last;
    }

    /// <summary>The key of the derived score in upstream's results (training prefixes it: <c>eval_sequential_score</c>).</summary>
    public const string MainScoreKey = "sequential_score";

    /// <summary>Upstream's default main-score function: the last score.</summary>
    public static double Last(IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        return scores.Count > 0 ? scores[^1] : throw new ArgumentException("no score", nameof(scores));
    }

    /// <summary>Every evaluator's result, in order, and the main score derived from their main scores.</summary>
    public SequentialResult Evaluate(IEvaluationModel model, CancellationToken cancellationToken = default)
    {
        var results = evaluators.Select(e => e.Evaluate(model, cancellationToken)).ToList();
        return new SequentialResult(results, mainScoreFunction([.. results.Select(r => r.MainScore)]));
    }
}
