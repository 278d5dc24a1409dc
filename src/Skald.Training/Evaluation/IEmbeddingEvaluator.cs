namespace Skald.Training.Evaluation;

/// <summary>
/// An evaluator that scores a model by its embeddings alone (<see cref="TrainingEmbeddingModel"/>), so that the same
/// evaluation can score them cut to a narrower width (<see cref="MatryoshkaEvaluator"/>, as sentence-transformers'
/// evaluators do with <c>truncate_dim</c>).
/// </summary>
public interface IEmbeddingEvaluator : IEvaluator
{
    /// <summary>
    /// Whether <see cref="Evaluate(TrainingEmbeddingModel)"/> gives what <see cref="IEvaluator.Evaluate"/> gives for a
    /// dense model (false for one that scores something else too: an mse task's teacher at a width of its own).
    /// </summary>
    bool ScoresEmbeddings => true;

    /// <summary>The metrics of <paramref name="embeddings"/> (the model's vectors, maybe cut), keyed as <see cref="IEvaluator.Evaluate"/> keys them.</summary>
    IReadOnlyDictionary<string, double> Evaluate(TrainingEmbeddingModel embeddings);
}
