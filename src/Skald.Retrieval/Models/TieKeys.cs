namespace Skald.Retrieval.Models;

/// <summary>Tie keys for search: document i's rank in ordinal id order, so that "higher key wins" means
/// "document id descending wins", trec_eval's order for equal scores.</summary>
public static class TieKeys
{
    /// <summary>The keys of a corpus.</summary>
    public static int[] For(IReadOnlyList<CorpusDocument> corpus)
    {
        var order = Enumerable.Range(0, corpus.Count).ToArray();
        Array.Sort(order, (a, b) => string.CompareOrdinal(corpus[a].Id, corpus[b].Id));
        var keys = new int[corpus.Count];
        for (int r = 0; r < order.Length; r++) keys[order[r]] = r;
        return keys;
    }
}
