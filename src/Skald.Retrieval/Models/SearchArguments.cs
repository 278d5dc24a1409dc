namespace Skald.Retrieval.Models;

/// <summary>
/// The argument checks of <see cref="IRetrievalModel.Search"/>, made before anything is embedded or scored, so that a
/// bad argument costs no forward pass (nor, with a remote model, a request).
/// </summary>
internal static class SearchArguments
{
    /// <summary>
    /// Throws <see cref="ArgumentNullException"/> for a null <paramref name="corpus"/> or <paramref name="queries"/>,
    /// <see cref="ArgumentException"/> naming the list for a null document or query in it, and
    /// <see cref="ArgumentOutOfRangeException"/> for a <paramref name="topK"/> below 1.
    /// </summary>
    public static void Check(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        for (int i = 0; i < corpus.Count; i++)
        {
            if (corpus[i] is null) throw new ArgumentException($"document {i} is null", nameof(corpus));
        }
        for (int i = 0; i < queries.Count; i++)
        {
            if (queries[i] is null) throw new ArgumentException($"query {i} is null", nameof(queries));
        }
    }
}
