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
/// passage scanned per query); equal scores in the order torch.topk leaves them (<see cref="TorchTopK"/>), as
/// mine_hard_negatives ranks. Positive scores are the same function. With <paramref name="retrievalScores"/> the
/// scores are those <see cref="DenseRetriever"/>'s exact search ranks by instead (a dot model's raw inner product, a
/// Euclidean or Manhattan model's negated distance of the raw vectors, cosine otherwise), as <c>skald data generate
/// --round-trip</c> ranks: the ranking a search with the model gives.
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
        bool distance = model.Similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan;
        bool raw = retrievalScores && distance; // the retriever's exact search: a distance model's raw vectors
        var f = retrievalScores && !distance ? SimilarityFunction.Cosine : model.Similarity; // the retriever's vectors: dot's raw, the rest unit
        var c = raw ? model.Embed(corpus, TextRole.Document) : retriever.EmbedDocuments(corpus);
        var q = raw ? model.Embed(queries, TextRole.Query) : retriever.EmbedQueries(queries);
        if (f == SimilarityFunction.Dot) (c, q) = (ExactSearch.Normalize(c), ExactSearch.Normalize(q)); // the retriever leaves a dot model's vectors as they are
        var hits = f is SimilarityFunction.Cosine or SimilarityFunction.Dot ? InnerTopK(q, c, k) : ScanTopK(f, q, c, k);
        var pos = new float[queries.Count][];
        for (int i = 0; i < queries.Count; i++)
            pos[i] = [.. positives[i].Select(p => f is SimilarityFunction.Cosine or SimilarityFunction.Dot
                ? System.Numerics.Tensors.TensorPrimitives.Dot(q[i], c[p]) : Similarities.Compute(f, q[i], c[p]))];
        return (hits, pos);
    }

    /// <summary>
    /// The best k passages of each query by inner product, in the order torch.topk gives them (<see cref="TorchTopK"/>):
    /// <see cref="ExactSearch"/>'s top k + 1 settle a query whose scores there are all distinct (no order of equal scores
    /// to choose); a query with equal scores among them is scored against every passage again (the products of
    /// <see cref="ExactSearch.Scores"/>, its equal scores equal again) and ranked as torch ranks the whole row: the row
    /// is scored in place, O(n) per query, and <see cref="TorchTopK"/> keeps a heap of k (O(n log k)) or selects in O(n),
    /// where a whole-row search had sorted every passage (O(n log n) and n hits allocated per query), which a corpus of
    /// many identical vectors, every query tied, made slow.
    /// </summary>
    private static Hit[][] InnerTopK(float[][] q, float[][] c, int k)
    {
        var hits = ExactSearch.TopK(q, c, k + 1);
        var tied = Enumerable.Range(0, q.Length).Where(i => HasTie(hits[i])).ToArray();
        for (int i = 0; i < hits.Length; i++) if (hits[i].Length > k) hits[i] = hits[i][..k];
        if (tied.Length == 0) return hits;
        int dim = c[0].Length, n = Math.Min(k, c.Length);
        const int Rows = 256; // rows copied into one block of a worker (a multiple of four, as ExactSearch.Scores asks)
        Parallel.For(0, tied.Length, () => (Scores: new float[c.Length], Order: new int[n], Scratch: new (float, int)[c.Length], Block: new float[Rows * dim]),
            (t, _, buffers) =>
            {
                var query = q[tied[t]];
                for (int start = 0; start < c.Length; start += Rows)
                {
                    int count = Math.Min(Rows, c.Length - start);
                    for (int r = 0; r < count; r++) c[start + r].CopyTo(buffers.Block, r * dim);
                    ExactSearch.Scores(query, buffers.Block.AsSpan(0, count * dim), dim, buffers.Scores.AsSpan(start, count));
                }
                hits[tied[t]] = Ranked(buffers.Scores, buffers.Order, buffers.Scratch);
                return buffers;
            }, _ => { });
        return hits;
    }

    private static bool HasTie(Hit[] best)
    {
        for (int r = 1; r < best.Length; r++) if (best[r].Score == best[r - 1].Score) return true;
        return false;
    }

    // The best order.Length of a whole row of scores, as torch.topk orders them.
    private static Hit[] Ranked(float[] scores, int[] order, (float, int)[] scratch)
    {
        TorchTopK.Order(scores, order, scratch);
        return [.. order.Select(j => new Hit(j, scores[j]))];
    }

    // Each query against every passage under f, the best k kept in torch.topk's order.
    private static Hit[][] ScanTopK(SimilarityFunction f, float[][] q, float[][] c, int k)
    {
        var hits = new Hit[q.Length][];
        int n = Math.Min(k, c.Length);
        Parallel.For(0, q.Length, () => (Scores: new float[c.Length], Order: new int[n], Scratch: new (float, int)[c.Length]), (i, _, buffers) =>
        {
            for (int j = 0; j < c.Length; j++) buffers.Scores[j] = Similarities.Compute(f, q[i], c[j]);
            hits[i] = Ranked(buffers.Scores, buffers.Order, buffers.Scratch);
            return buffers;
        }, _ => { });
        return hits;
    }
}
