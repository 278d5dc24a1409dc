namespace Skald.Retrieval.Plaid;

/// <summary>
/// How a PLAID index is searched (<c>skald search --plaid-ncells / --plaid-ndocs</c>): the centroids probed per query
/// token, the centroid score below which a centroid is left out of the first pruning stage, and the candidates the
/// centroid-interaction stages keep (ndocs after the first, ndocs / 4 after the second, these decompressed and scored
/// by MaxSim). Zero takes ColBERTv2's default for the k asked (<see cref="For"/>).
/// </summary>
public sealed record PlaidSearchOptions
{
    /// <summary>Centroids probed per query token (0: the default for k).</summary>
    public int Cells { get; init; }

    /// <summary>Candidates kept by the first centroid-interaction stage (0: the default for k).</summary>
    public int Documents { get; init; }

    /// <summary>A centroid takes part in the first stage only when some query token scores it at least this (null: the default for k).</summary>
    public float? CentroidScoreThreshold { get; init; }

    /// <summary>
    /// These options with ColBERTv2's defaults for <paramref name="k"/> filled in (<c>colbert/searcher.py</c>
    /// <c>dense_search</c> at 501c29d9e0b7f7b393e36c4177ec2b141a253114): k ≤ 10: 1 cell, threshold 0.5, 256 documents;
    /// k ≤ 100: 2, 0.45, 1024; else 4, 0.4, max(4k, 4096).
    /// </summary>
    public PlaidSearchOptions For(int k)
    {
        var (cells, threshold, docs) = k <= 10 ? (1, 0.5f, 256) : k <= 100 ? (2, 0.45f, 1024) : (4, 0.4f, Math.Max(4 * k, 4096));
        return this with
        {
            Cells = Cells > 0 ? Cells : cells,
            Documents = Documents > 0 ? Documents : docs,
            CentroidScoreThreshold = CentroidScoreThreshold ?? threshold,
        };
    }
}
