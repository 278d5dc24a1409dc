using Skald.Models.Modules;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;

namespace Skald.Data.Negatives;

/// <summary>
/// Candidates from an embedding model: queries and passages embedded with their role prompts by
/// <see cref="DenseRetriever"/> (the model's query prompt; its document, passage or corpus prompt: what
/// sentence-transformers' encode_query / encode_document give <c>mine_hard_negatives</c> unless prompts are named),
/// normalised whatever the model's similarity (the function always asks for normalised embeddings), then scored as its
/// <c>model.similarity</c> scores them: a cosine or dot model by the inner product (the exact top-k of
/// <see cref="ExactSearch"/>), a Euclidean or Manhattan model by the negative distance (<see cref="Similarities"/>, every
/// passage scanned per query). Positive scores are the same function. With <paramref name="retrievalScores"/> the
/// scores are <see cref="DenseRetriever"/>'s own instead (a dot model's raw inner product, cosine for the distance
/// models), as <c>skald data generate --round-trip</c> ranks: the ranking a search with the model gives.
/// </summary>
public sealed class DenseCandidateScorer(IEmbeddingModel model, bool retrievalScores = false) : ICandidateScorer
{
    private readonly DenseRetriever retriever = new(model);

    /// <inheritdoc/>
    public string Name => model.Name;

    /// <inheritdoc/>
    public (Hit[][] Candidates, float[][] PositiveScores) Score(IReadOnlyList<string> queries, IReadOnlyList<string> corpus,
        IReadOnlyList<int[]> positives, int k)
    {
        var f = retrievalScores ? SimilarityFunction.Cosine : model.Similarity; // the retriever's vectors: dot's raw, the rest unit
        var c = retriever.EmbedDocuments(corpus);
        var q = retriever.EmbedQueries(queries);
        if (f == SimilarityFunction.Dot) (c, q) = (ExactSearch.Normalize(c), ExactSearch.Normalize(q)); // the retriever leaves a dot model's vectors as they are
        var hits = f is SimilarityFunction.Cosine or SimilarityFunction.Dot ? ExactSearch.TopK(q, c, k) : ScanTopK(f, q, c, k);
        var pos = new float[queries.Count][];
        for (int i = 0; i < queries.Count; i++)
            pos[i] = [.. positives[i].Select(p => f is SimilarityFunction.Cosine or SimilarityFunction.Dot
                ? System.Numerics.Tensors.TensorPrimitives.Dot(q[i], c[p]) : Similarities.Compute(f, q[i], c[p]))];
        return (hits, pos);
    }

    // Each query against every passage under f, the best k kept (equal scores: the earlier passage first).
    private static Hit[][] ScanTopK(SimilarityFunction f, float[][] q, float[][] c, int k)
    {
        var hits = new Hit[q.Length][];
        Parallel.For(0, q.Length, () => (Scores: new float[c.Length], Rows: new int[c.Length]), (i, _, buffers) =>
        {
            for (int j = 0; j < c.Length; j++) { buffers.Scores[j] = -Similarities.Compute(f, q[i], c[j]); buffers.Rows[j] = j; }
            Array.Sort(buffers.Scores, buffers.Rows); // ascending negated scores, i.e. best first (unstable: ties fixed below)
            int n = Math.Min(k, c.Length);
            var row = new Hit[n];
            for (int r = 0; r < n; r++) row[r] = new Hit(buffers.Rows[r], -buffers.Scores[r]);
            Array.Sort(row, (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Index.CompareTo(b.Index));
            hits[i] = row;
            return buffers;
        }, _ => { });
        return hits;
    }
}
