using Skald.Models.Modules;

namespace Skald.Retrieval.Models;

/// <summary>A model that turns texts into vectors.</summary>
public interface IEmbeddingModel : IEvaluationModel
{
    /// <summary>Vector width.</summary>
    int Dimension { get; }

    /// <summary>The model's own similarity function.</summary>
    SimilarityFunction Similarity { get; }

    /// <summary>
    /// Whether the vectors are a sparse encoder's (SPLADE: one weight per vocabulary entry, mostly zeros): searched
    /// through an inverted index (<see cref="Sparse.SparseRetriever"/>) instead of a dense scan.
    /// </summary>
    bool IsSparse => false;

    /// <summary>Embeds texts in the given role; result i belongs to text i.</summary>
    float[][] Embed(IReadOnlyList<string> texts, TextRole role);

    /// <summary>
    /// <see cref="Embed(IReadOnlyList{string}, TextRole)"/>, stopped by <paramref name="cancellationToken"/>: a model
    /// that runs forward passes (<see cref="EncoderEmbeddingModel"/>) looks at it between the layers of each pass and
    /// throws <see cref="OperationCanceledException"/> with it; any other looks at it only before it starts (the default).
    /// </summary>
    float[][] Embed(IReadOnlyList<string> texts, TextRole role, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Embed(texts, role);
    }

    /// <summary>
    /// This model embedding queries with <paramref name="queryPrompt"/> and documents with <paramref name="documentPrompt"/>
    /// (null: the model's own prompt for that role), its weights shared, not loaded again: what sentence-transformers'
    /// evaluators pass as <c>prompt=</c> to each encode call (NanoBEIR's per-dataset <c>query_prompts</c> and
    /// <c>corpus_prompts</c>). The default, for a model that takes no prompts, is one line naming it.
    /// </summary>
    IEmbeddingModel WithPrompts(string? queryPrompt, string? documentPrompt) =>
        throw new EvaluationException($"{Name}: this model takes no query or document prompts");

    /// <summary>
    /// Splits a text into consecutive pieces that each fit the model's maximum length in <paramref name="role"/>
    /// (one piece when it already fits).
    /// </summary>
    IReadOnlyList<string> SplitToFit(string text, TextRole role);
}
