using Skald.Retrieval.Search;

namespace Skald.Retrieval.Models;

/// <summary>A retrieval system that ranks corpus documents for queries itself (BM25, hybrids).</summary>
public interface IRetrievalModel : IEvaluationModel
{
    /// <summary>
    /// Up to <paramref name="topK"/> hits (corpus indices, best first; ties by document id descending) per query.
    /// <paramref name="language"/> is the task's ISO 639-1 code (picks a stemmer), or null. The models that embed or
    /// score (dense, sparse, hybrid, cross-encoder) check their arguments before any of that work: a null list is an
    /// <see cref="ArgumentNullException"/>, a null document or query an <see cref="ArgumentException"/> naming its list,
    /// a <paramref name="topK"/> below 1 an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language);
}
