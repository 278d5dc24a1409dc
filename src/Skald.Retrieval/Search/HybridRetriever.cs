using Skald.Retrieval.Models;

namespace Skald.Retrieval.Search;

/// <summary>BM25 (or any first-stage system) combined with an embedding model.</summary>
/// <param name="sparse">First stage (BM25).</param>
/// <param name="dense">Embedding model.</param>
/// <param name="mode">Re-rank or fuse.</param>
/// <param name="candidates">First-stage hits per query (and dense hits for fusion).</param>
/// <param name="rrfK">RRF constant (60 as in Cormack et al.).</param>
public sealed class HybridRetriever(IRetrievalModel sparse, DenseRetriever dense, HybridMode mode = HybridMode.Rerank,
    int candidates = 100, int rrfK = 60) : IRetrievalModel
{
    /// <inheritdoc/>
    public string Name => $"{sparse.Name}+{dense.Name}";

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => new Dictionary<string, string>(dense.Metadata)
    {
        ["hybrid"] = mode == HybridMode.Rerank ? $"rerank top {candidates} of {sparse.Name}" : $"rrf k={rrfK} over top {candidates}",
    };

    /// <inheritdoc/>
    public Hit[][] Search(IReadOnlyList<CorpusDocument> corpus, IReadOnlyList<string> queries, int topK, string? language)
    {
        var tie = TieKeys.For(corpus);
        var first = sparse.Search(corpus, queries, candidates, language);
        if (mode == HybridMode.ReciprocalRankFusion)
        {
            var second = dense.Search(corpus, queries, candidates, language);
            return [.. first.Select((f, qi) =>
            {
                var fused = new Dictionary<int, double>();
                for (int r = 0; r < f.Length; r++) fused[f[r].Index] = fused.GetValueOrDefault(f[r].Index) + 1.0 / (rrfK + r + 1);
                var s = second[qi];
                for (int r = 0; r < s.Length; r++) fused[s[r].Index] = fused.GetValueOrDefault(s[r].Index) + 1.0 / (rrfK + r + 1);
                return Top(fused.Select(p => (p.Key, (float)p.Value)), topK, tie);
            })];
        }
        var needed = first.SelectMany(h => h.Select(x => x.Index)).Distinct().Order().ToArray();
        var docVectors = dense.EmbedDocuments([.. needed.Select(i => corpus[i].FullText)]);
        var byIndex = new Dictionary<int, float[]>();
        for (int i = 0; i < needed.Length; i++) byIndex[needed[i]] = docVectors[i];
        var q = dense.EmbedQueries(queries);
        return [.. first.Select((f, qi) => Top(f.Select(h => (h.Index, System.Numerics.Tensors.TensorPrimitives.Dot(q[qi], byIndex[h.Index]))), topK, tie))];
    }

    private static Hit[] Top(IEnumerable<(int Index, float Score)> scored, int k, int[] tie)
    {
        var heap = new TopKHeap(k);
        foreach (var (i, s) in scored) heap.Add(i, s, tie[i]);
        return heap.ToSortedArray();
    }
}
