using Skald.Retrieval.Search;

namespace Skald.Retrieval.Models;

/// <summary>A retrieval system that ranks corpus documents for queries itself (BM25, hybrids).</summary>
public interface IRetrievalModel : IEvaluationModel
{
    /// <summary>
    /// Up to <paramref name="topK"/> hits (corpus indices, best first; ties by document id descending) per query.
    /// <paramref name="language"/> is the task's ISO 639-1 code (picks a stemmer), or null.
    /// </summary>
    Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language);
}
