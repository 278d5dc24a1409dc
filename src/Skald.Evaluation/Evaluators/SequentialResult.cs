namespace Skald.Evaluation.Evaluators;

/// <summary>What a <see cref="SequentialEvaluator"/> run gives.</summary>
/// <param name="Results">Each evaluator's result, in the order they ran.</param>
/// <param name="MainScore">The score derived from their main scores (by default the last one's).</param>
public sealed record SequentialResult(IReadOnlyList<TaskResult> Results, double MainScore);
