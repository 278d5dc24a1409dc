using Skald.Retrieval.Bm25;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Index;

/// <summary><see cref="IndexBuilder"/>'s <see cref="Reindex"/>: a dense index's stored rows laid out anew, nothing embedded again.</summary>
public static partial class IndexBuilder
{
    /// <summary>
    /// Lays out the dense rows of the index in <paramref name="folder"/> anew from its own stored float rows, without
    /// embedding anything again: lists trained again, a graph linked, codebooks or int8 ranges trained on the rows as
    /// they are now, or plain exact search (<paramref name="layout"/> as <see cref="Build"/> takes it). Deleted rows are
    /// dropped (compaction); records, model, chunking and BM25 settings stay. With <paramref name="truncateDim"/> the rows
    /// are cut to their first N values as well (a Matryoshka model's smaller width; at unit length again in a cosine
    /// index, what <c>index build --truncate-dim N</c> stores up to rounding) and queries are cut the same way. Returns
    /// the manifest written.
    /// </summary>
    public static IndexManifest Reindex(string folder, DenseLayout layout, Action<int, int>? linking = null, int truncateDim = 0)
    {
        using var writing = IndexWriteLock.Take(folder);
        IndexManifest manifest;
        List<IndexRecord> records;
        float[][] vectors;
        using (var index = SearchIndex.Open(folder))
        {
            manifest = index.Manifest;
            if (manifest.Sparse)
                throw new EvaluationException($"{folder}: a sparse encoder's index is an inverted index of its vocabulary weights, with no dense rows to lay out");
            if (manifest.MultiVector is not null)
                throw new EvaluationException($"{folder}: a late-interaction ({manifest.MultiVector}) index scores its rows' token vectors by MaxSim; it has no dense layout to change (give --model to encode its chunks again)");
            if (manifest.BgeM3 is not null)
                throw new EvaluationException($"{folder}: a BGE-M3 index scores its stored outputs exactly; it has no dense layout to change");
            var live = Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).ToArray();
            records = [.. live.Select(r => index.Records[r])];
            if (truncateDim < 0 || truncateDim >= manifest.Dimension && truncateDim != 0)
                throw new EvaluationException($"{folder}: --truncate-dim {truncateDim} must be below the index's {manifest.Dimension} dimensions");
            int width = truncateDim > 0 ? truncateDim : manifest.Dimension;
            vectors = [.. live.Select(r => index.Vector(r)[..width].ToArray())];
        }
        if (truncateDim > 0)
        {
            if (manifest.Similarity == "cosine") vectors = ExactSearch.Normalize(vectors);
            manifest = manifest with { Dimension = truncateDim, TruncateDim = truncateDim };
        }
        layout.Check(folder, manifest.Dimension, records.Count, manifest.SimilarityFunction);
        return layout.Write(folder, manifest, records, vectors, AnalyzerOf(manifest), new Bm25Parameters(manifest.K1, manifest.B), IndexKillPoint.Linking(linking));
    }
}
