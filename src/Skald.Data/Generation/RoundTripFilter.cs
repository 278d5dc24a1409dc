using Skald.Data.Negatives;

namespace Skald.Data.Generation;

/// <summary>
/// The round-trip (consistency) filter of synthetic-query pipelines such as Promptagator and InPars: a generated query
/// is kept only when a retriever (BM25 or an embedding model) ranks the passage it was made from among its top k over
/// the whole generated corpus (each passage's title and text, as the index searches them).
/// </summary>
public static class RoundTripFilter
{
    /// <summary><paramref name="set"/> without the queries whose passage <paramref name="scorer"/> does not rank in the top <paramref name="k"/>.</summary>
    public static GeneratedSet Apply(GeneratedSet set, ICandidateScorer scorer, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (set.Queries.Count == 0) return set;
        var index = set.Corpus.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var positives = set.Queries.Select(q => new[] { index[q.DocumentId] }).ToArray();
        var (hits, _) = scorer.Score([.. set.Queries.Select(q => q.Text)], [.. set.Corpus.Select(d => d.FullText)], positives, Math.Min(k, set.Corpus.Count));
        var kept = set.Queries.Where((q, i) => hits[i].Any(h => h.Index == positives[i][0])).ToList();
        var filtered = set.Filtered.ToDictionary(StringComparer.Ordinal);
        if (kept.Count < set.Queries.Count) filtered["round trip"] = set.Queries.Count - kept.Count;
        return set with { Queries = kept, Filtered = filtered };
    }
}
