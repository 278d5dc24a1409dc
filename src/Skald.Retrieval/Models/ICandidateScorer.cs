namespace Skald.Retrieval.Models;

/// <summary>
/// A model that scores given documents for each query (a reranking task's candidates, MTEB's <c>top_ranked</c>)
/// instead of searching the whole corpus: a dense model by its similarity, a cross-encoder by reading each pair.
/// </summary>
public interface ICandidateScorer : IEvaluationModel
{
    /// <summary>
    /// Scores of <paramref name="candidates"/>[q] (corpus indices) against query q, aligned with them; higher is better.
    /// <paramref name="language"/> is the task's ISO 639-1 code, or null.
    /// </summary>
    float[][] ScoreCandidates(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, IReadOnlyList<int[]> candidates, string? language);
}
