using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Data.Negatives;

/// <summary>
/// Candidates from an embedding model: queries and passages embedded with their role prompts by
/// <see cref="DenseRetriever"/> (the model's query prompt; its document, passage or corpus prompt: what
/// sentence-transformers' encode_query / encode_document give <c>mine_hard_negatives</c> unless prompts are named),
/// normalised whatever the model's similarity (the function always asks for normalised embeddings, so a dot model's
/// scores are cosines too), the exact top-k of <see cref="ExactSearch"/>, and positive scores as the same inner product.
/// </summary>
public sealed class DenseCandidateScorer(IEmbeddingModel model) : ICandidateScorer
{
    private readonly DenseRetriever retriever = new(model);

    /// <inheritdoc/>
    public string Name => model.Name;

    /// <inheritdoc/>
    public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus,
        IReadOnlyList<int[]> positives, int k)
    {
        bool raw = model.Similarity == Skald.Models.Modules.SimilarityFunction.Dot; // the retriever leaves a dot model's vectors as they are
        var c = retriever.EmbedDocuments(corpus);
        var q = retriever.EmbedQueries(queries);
        if (raw) (c, q) = (ExactSearch.Normalize(c), ExactSearch.Normalize(q));
        var hits = ExactSearch.TopK(q, c, k);
        var pos = new float[queries.Count][];
        for (int i = 0; i < queries.Count; i++)
            pos[i] = [.. positives[i].Select(p => System.Numerics.Tensors.TensorPrimitives.Dot(q[i], c[p]))];
        return (hits, pos);
    }
}
