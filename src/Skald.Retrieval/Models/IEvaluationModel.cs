namespace Skald.Retrieval.Models;

/// <summary>Anything an evaluator can evaluate: an embedding model or a retrieval system (BM25).</summary>
public interface IEvaluationModel
{
    /// <summary>Name used in results and reports.</summary>
    string Name { get; }

    /// <summary>Facts about the model written into results (backend, stemmer, prompts...).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }
}
