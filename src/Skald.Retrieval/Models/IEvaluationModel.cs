namespace Skald.Retrieval.Models;

/// <summary>Anything an evaluator can evaluate: an embedding model or a retrieval system (BM25).</summary>
public interface IEvaluationModel
{
    /// <summary>Name used in results and reports.</summary>
    string Name { get; }

    /// <summary>Facts about the model written into results (backend, stemmer, prompts...).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// This model as it embeds the texts of one task: a model whose named prompts have task keys picks them by
    /// <see cref="RolePrompts.For"/>'s MTEB order for <paramref name="taskName"/> and <paramref name="taskType"/> (MTEB's
    /// spelling; null when MTEB has no such type) and returns a view of itself sharing its weights and caches; wrappers
    /// (dense, hybrid, reranking retrievers) pass the task to what they wrap. The default: this model, unchanged.
    /// </summary>
    IEvaluationModel ForTask(string taskName, string? taskType) => this;
}
