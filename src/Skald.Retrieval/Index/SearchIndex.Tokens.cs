using Skald.Models.LateInteraction;
using Skald.Retrieval.Models;
using Skald.Retrieval.Search;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Index;

/// <summary>A late-interaction index's members of <see cref="SearchIndex"/>: its token vectors and their MaxSim search.</summary>
public sealed partial class SearchIndex
{
    /// <summary>Whether this is a late-interaction index (<see cref="IndexManifest.MultiVector"/>), searched by <see cref="SearchTokens"/>.</summary>
    public bool IsMultiVector => tokens is not null && Manifest.BgeM3 is null;

    /// <summary>The number format a late-interaction index stores its token vectors in (<see cref="IndexManifest.TokenPrecision"/>; float32 in any other index).</summary>
    public TokenPrecision TokenPrecision => tokens?.Precision ?? TokenPrecision.Float32;

    /// <summary>
    /// A late-interaction index's float32 token vectors of <paramref name="row"/> [tokens × dim], a view of the mapping
    /// (<see cref="InvalidOperationException"/> in any other index, and in one storing them as float16 or int8: decode
    /// those with <see cref="CopyTokens"/>).
    /// </summary>
    public ReadOnlySpan<float> Tokens(int row) => TokenRows().Row(row);

    /// <summary>How many token vectors a late-interaction index holds for <paramref name="row"/>.</summary>
    public int TokenCount(int row) => TokenRows().TokenCount(row);

    /// <summary>
    /// Copies <paramref name="row"/>'s token vectors, as float32 in any precision (float16 widened exactly, int8 codes
    /// times their vector's scale), into <paramref name="buffer"/> (grown when too small); returns how many values.
    /// </summary>
    public int CopyTokens(int row, ref float[] buffer)
    {
        var rows = TokenRows();
        int n = rows.TokenCount(row) * rows.Dimension;
        if (buffer.Length < n) buffer = new float[n];
        return rows.CopyRow(row, buffer);
    }

    /// <summary>The mapped token files (null in an index without token vectors), for <see cref="IndexBuilder"/>'s copies.</summary>
    internal MappedTokenRows? TokenStore => tokens;

    private MappedTokenRows TokenRows()
    {
        ThrowIfDisposed();
        return tokens ?? throw new InvalidOperationException($"{Folder}: not a late-interaction index; it holds one vector a row");
    }

    /// <summary>
    /// The best <paramref name="topK"/> live rows of a late-interaction index for one query: dense mode scores every
    /// row's token vectors by exact MaxSim against <paramref name="queryTokens"/> (the model's query token vectors:
    /// <see cref="Models.MultiVectorEmbeddingModel.Encode"/> in the query role), in parallel over the rows
    /// (<see cref="MaxSimScan"/>); BM25 as in any index; hybrid fuses the two as <see cref="Search"/> does (with
    /// <see cref="HybridMode.Rerank"/>, BM25's candidates scored by MaxSim). <paramref name="filter"/> as in
    /// <see cref="Search"/>. <paramref name="queryTokens"/> may be null for BM25 alone; otherwise vectors of another
    /// width are an <see cref="ArgumentException"/>. Equal scores keep the earlier row. Any other index throws
    /// <see cref="InvalidOperationException"/>; a bad <paramref name="mode"/> or <paramref name="topK"/> as in <see cref="Search"/>.
    /// With <paramref name="candidates"/> N &gt; 0 the MaxSim stage (dense, and hybrid's dense list) scores only a candidate
    /// stage's N rows: the rows whose mean token vector (<c>embeddings.f32</c>) is nearest the query's mean token vector,
    /// an exact search of one vector a row; approximate, its recall measured in <c>QuantizedTokenRankingTests</c>
    /// (0: every live row, exact; negative: <see cref="ArgumentOutOfRangeException"/>).
    /// A PLAID index (<see cref="TokenPrecision.Plaid"/>) runs its MaxSim stage as PLAID's search
    /// (<see cref="Plaid.PlaidSearch"/>: centroid probes, two centroid-interaction stages, MaxSim over the decompressed
    /// survivors) with <paramref name="plaid"/>'s settings (null: ColBERTv2's defaults for the k asked); with
    /// <paramref name="candidates"/> it scores the mean-vector candidates' decompressed vectors instead. Settings for any
    /// other index are an <see cref="ArgumentException"/>.
    /// </summary>
    public IReadOnlyList<IndexHit> SearchTokens(string query, TokenVectors? queryTokens, SearchMode mode, int topK, FusionOptions? fusion = null,
        IndexFilter? filter = null, int candidates = 0, Plaid.PlaidSearchOptions? plaid = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(candidates);
        CheckSearch(mode, topK);
        ThrowIfCut();
        if (Manifest.BgeM3 is not null) throw new InvalidOperationException($"{Folder}: a BGE-M3 index; search it with the query's BGE-M3 outputs (SearchBgeM3)");
        var rows = tokens ?? throw new InvalidOperationException($"{Folder}: not a late-interaction index; search it with the query's vector (Search)");
        bool isPlaid = rows.Precision == TokenPrecision.Plaid;
        if (plaid is not null && !isPlaid)
            throw new ArgumentException($"{Folder}: PLAID settings are for a PLAID index (index build --plaid); this one stores {rows.Precision.ToString().ToLowerInvariant()} token vectors", nameof(plaid));
        if (plaid is not null && (plaid.Cells < 0 || plaid.Documents < 0))
            throw new ArgumentOutOfRangeException(nameof(plaid), "PLAID cells and documents are positive (0: the default)");
        fusion ??= FusionOptions.Default;
        float[] q = [];
        if (mode != SearchMode.Bm25)
        {
            if (queryTokens is null || queryTokens.Dimension != Manifest.Dimension)
                throw new ArgumentException($"late-interaction search needs the query's token vectors of {Manifest.Dimension} values", nameof(queryTokens));
            q = queryTokens.Values;
        }
        var allowed = filter is null ? null : Allowed(filter);
        Hit[] MaxSimTop(int k) => candidates == 0
            ? isPlaid ? Plaid.PlaidSearch.TopK(q, rows, k, Deleted, allowed, tieKeys, plaid ?? new Plaid.PlaidSearchOptions()) : MaxSimScan.TopK(q, rows, k, Deleted, allowed, tieKeys)
            : Fusion.Rerank(Dense(MultiVectorEmbeddingModel.Pool(queryTokens!), Math.Max(k, candidates), 0, 1, 0, allowed), r => rows.Score(q, r), k, tieKeys);
        double lowest = 0;
        Hit[] hits = mode switch
        {
            SearchMode.Dense => MaxSimTop(topK),
            SearchMode.Bm25 => Sparse(query, topK, allowed),
            _ when fusion.Mode == HybridMode.Rerank =>
                Fusion.Rerank(Sparse(query, fusion.Candidates, allowed), r => rows.Score(q, r), topK, tieKeys),
            _ => Fusion.Fuse(Sparse(query, fusion.Candidates, allowed), MaxSimTop(fusion.Candidates), fusion, topK, tieKeys, out lowest),
        };
        return Hits(hits, mode, fusion, lowest);
    }
}
