using System.Numerics.Tensors;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Search;
using Skald.Retrieval.Sparse;
using Skald.Tensors.Kernels;

namespace Skald.Retrieval.Index;

/// <summary>
/// A BGE-M3 index's members of <see cref="SearchIndex"/> (<see cref="IndexManifest.BgeM3"/>): its stored outputs read
/// back and searched by their weighted score, as <see cref="BgeM3Retriever"/> scores a corpus.
/// </summary>
public sealed partial class SearchIndex
{
    /// <summary>Rows of dense dots computed per <see cref="RowDots.Dots"/> call (a multiple of 16).</summary>
    private const int DenseBlock = 4096;

    /// <summary>Whether this is a BGE-M3 index (<see cref="IndexManifest.BgeM3"/>), searched by <see cref="SearchBgeM3"/>.</summary>
    public bool IsBgeM3 => Manifest.BgeM3 is not null;

    /// <summary>The outputs a BGE-M3 index stores (0 in any other index).</summary>
    public BgeM3Outputs BgeM3Stored => Manifest.BgeM3?.Stored ?? 0;

    // A BGE-M3 index's parts: the dense rows, the lexical rows with their postings and the ColBERT vectors, each as the
    // dense, sparse and late-interaction indexes map theirs, only those it stores.
    private static SearchIndex OpenBgeM3(string folder, IndexManifest manifest, string manifestPath, IReadOnlyList<IndexRecord> records, HashSet<int> deleted,
        Bm25Index bm25, Analyzer[] analyzer)
    {
        MappedRows? rows = null;
        SparseIndex? postings = null;
        MappedSparseRows? lexical = null;
        MappedTokenRows? tokens = null;
        try
        {
            if (manifest.HasDenseRows) rows = new MappedRows(Path.Combine(folder, IndexWriter.EmbeddingsFile), manifest.Rows, manifest.Dimension);
            if (manifest.HasSparseRows)
            {
                string postingsPath = Path.Combine(folder, IndexWriter.PostingsFile);
                if (!File.Exists(postingsPath)) throw new EvaluationException($"{postingsPath}: missing (index damaged?)");
                postings = SparseIndex.Open(postingsPath, manifest.Rows, manifest.SparseDimension);
                lexical = new MappedSparseRows(Path.Combine(folder, IndexWriter.SparseFile), manifest.SparseDimension, postings.RowOffsets);
            }
            tokens = IndexFolderReader.Tokens(folder, manifest, manifestPath);
            return new SearchIndex(folder, manifest, records, deleted, rows, null, null, bm25, analyzer,
                mappedSparse: postings is null ? null : (postings, lexical!), tokens: tokens);
        }
        catch
        {
            rows?.Dispose();
            lexical?.Dispose();
            postings?.Dispose();
            tokens?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What a BGE-M3 index stores of <paramref name="row"/>: its dense vector, lexical weights and ColBERT vectors, those
    /// it does not store null (copies; <see cref="InvalidOperationException"/> in any other index).
    /// </summary>
    public BgeM3Output BgeM3Row(int row)
    {
        ThrowIfDisposed();
        var stored = Manifest.BgeM3 is null ? throw new InvalidOperationException($"{Folder}: not a BGE-M3 index") : BgeM3Stored;
        TokenVectors? colbert = null;
        if ((stored & BgeM3Outputs.Colbert) != 0)
        {
            var values = Array.Empty<float>();
            int count = CopyTokens(row, ref values); // a PLAID index's decoded
            colbert = new TokenVectors(values[..count], new int[count / tokens!.Dimension], tokens.Dimension); // token ids are not stored
        }
        return new BgeM3Output((stored & BgeM3Outputs.Dense) != 0 ? vectors!.Row(row).ToArray() : null,
            (stored & BgeM3Outputs.Sparse) != 0 ? mappedSparseRows!.Row(row) : null, colbert);
    }

    /// <summary>
    /// The best <paramref name="topK"/> live rows of a BGE-M3 index for one query: dense mode scores every live row by
    /// <paramref name="weights"/>' combination (<see cref="BgeM3Weights.Combine"/>) of its dense score (q·p), its lexical
    /// score (through the inverted index) and its ColBERT score (MaxSim over the query's vector count), exactly as
    /// <see cref="BgeM3Retriever"/> scores a corpus; BM25 as in any index; hybrid fuses the two as <see cref="Search"/>
    /// does (with <see cref="HybridMode.Rerank"/>, BM25's candidates scored by the combination). <paramref name="filter"/>
    /// as in <see cref="Search"/>. <paramref name="queryOutputs"/> (the model's query outputs, those the weights use) may
    /// be null for BM25 alone. Weights that use an output the index does not store, or query outputs that lack one or are
    /// of another width, are an <see cref="ArgumentException"/> naming them; any other index throws
    /// <see cref="InvalidOperationException"/>; a bad <paramref name="mode"/> or <paramref name="topK"/> as in <see cref="Search"/>.
    /// Equal scores keep the earlier row. An index whose ColBERT vectors are PLAID coded (<c>index build --bge-m3 ...
    /// --plaid</c>) scores the combination over a candidate stage instead of every row when the ColBERT weight is not 0
    /// (<see cref="PlaidCandidates"/>, with <paramref name="plaid"/>'s settings, null: ColBERTv2's defaults for the k
    /// asked); settings for any other index are an <see cref="ArgumentException"/>.
    /// </summary>
    public IReadOnlyList<IndexHit> SearchBgeM3(string query, BgeM3Output? queryOutputs, BgeM3Weights weights, SearchMode mode, int topK,
        FusionOptions? fusion = null, IndexFilter? filter = null, Plaid.PlaidSearchOptions? plaid = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        CheckSearch(mode, topK);
        ThrowIfCut();
        if (Manifest.BgeM3 is null) throw new InvalidOperationException($"{Folder}: not a BGE-M3 index; search it with {(IsMultiVector ? "SearchTokens" : "Search")}");
        CheckWeights(weights);
        bool isPlaid = tokens?.Precision == TokenPrecision.Plaid;
        if (plaid is not null && !isPlaid)
            throw new ArgumentException($"{Folder}: PLAID settings are for a BGE-M3 index whose ColBERT vectors are PLAID coded (index build --bge-m3 ... --plaid)", nameof(plaid));
        if (plaid is not null && (plaid.Cells < 0 || plaid.Documents < 0))
            throw new ArgumentOutOfRangeException(nameof(plaid), "PLAID cells and documents are positive (0: the default)");
        fusion ??= FusionOptions.Default;
        BgeM3Output q = new(null, null, null);
        if (mode != SearchMode.Bm25) q = CheckQuery(queryOutputs, weights.Needed);
        var allowed = filter is null ? null : Allowed(filter);
        Hit[] Combined(int k) => isPlaid && weights.Colbert != 0 ? PlaidCandidates(q, weights, k, allowed, plaid ?? new Plaid.PlaidSearchOptions()) : BgeM3TopK(q, weights, k, allowed);
        double lowest = 0;
        Hit[] hits = mode switch
        {
            SearchMode.Dense => Combined(topK),
            SearchMode.Bm25 => Sparse(query, topK, allowed),
            _ when fusion.Mode == HybridMode.Rerank => Fusion.Rerank(Sparse(query, fusion.Candidates, allowed), r => BgeM3Score(q, weights, r), topK, tieKeys),
            _ => Fusion.Fuse(Sparse(query, fusion.Candidates, allowed), Combined(fusion.Candidates), fusion, topK, tieKeys, out lowest),
        };
        return Hits(hits, mode, fusion, lowest);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the outputs when <paramref name="weights"/> are not valid
    /// (<see cref="BgeM3Weights.Check"/>) or use one this BGE-M3 index does not store.
    /// </summary>
    public void CheckWeights(BgeM3Weights weights)
    {
        weights.Check();
        var missing = weights.Needed & ~BgeM3Stored;
        if (missing != 0)
            throw new ArgumentException($"{Folder}: the weights use BGE-M3's {string.Join(" and ", BgeM3Storage.Names(missing))} " +
                $"score{(BgeM3Storage.Names(missing).Length > 1 ? "s" : "")}, but the index stores only {string.Join(", ", BgeM3Storage.Names(BgeM3Stored))} " +
                "(give those a weight of 0, or build the index with --bge-m3 all)", nameof(weights));
    }

    // The query's outputs the weights need, checked against the index's widths.
    private BgeM3Output CheckQuery(BgeM3Output? q, BgeM3Outputs needed)
    {
        if (q is null) throw new ArgumentException("BGE-M3 search needs the query's outputs", "queryOutputs");
        if ((needed & BgeM3Outputs.Dense) != 0 && q.Dense?.Length != Manifest.Dimension)
            throw new ArgumentException($"BGE-M3 search needs the query's dense vector of {Manifest.Dimension} values", "queryOutputs");
        if ((needed & BgeM3Outputs.Sparse) != 0 && q.Sparse is null)
            throw new ArgumentException("BGE-M3 search needs the query's lexical weights", "queryOutputs");
        if ((needed & BgeM3Outputs.Colbert) != 0 && q.Colbert?.Dimension != Manifest.TokenDimension)
            throw new ArgumentException($"BGE-M3 search needs the query's ColBERT vectors of {Manifest.TokenDimension} values", "queryOutputs");
        return q;
    }

    // Every live row passing the filter scored by the weighted combination, the best k kept: the dense dots a block of
    // rows at a time over the mapping, the lexical scores accumulated through the postings, the ColBERT scores row by
    // row in parallel (each row's vectors read where they lie); per query three score arrays, nothing per row.
    private Hit[] BgeM3TopK(BgeM3Output q, BgeM3Weights weights, int k, RowFilter? allowed)
    {
        int n = Records.Count;
        if (LiveCount == 0 || n == 0) return [];
        float[]? dense = null, lexical = null, colbert = null;
        if (weights.Dense != 0)
        {
            dense = new float[n];
            for (int start = 0; start < n; start += DenseBlock)
            {
                int count = Math.Min(DenseBlock, n - start);
                RowDots.Dots(q.Dense, vectors!.Span(start, count), Manifest.Dimension, dense.AsSpan(start, count));
            }
        }
        if (weights.Sparse != 0)
        {
            lexical = new float[n];
            sparseIndex!.Accumulate(q.Sparse!, lexical);
        }
        if (weights.Colbert != 0)
        {
            colbert = new float[n];
            var query = q.Colbert!;
            float queryCount = Math.Max(query.Count, 1);
            var rows = tokens!;
            Parallel.For(0, (n + MaxSimScan.BlockRows - 1) / MaxSimScan.BlockRows, block =>
            {
                int end = Math.Min(n, (block + 1) * MaxSimScan.BlockRows);
                for (int r = block * MaxSimScan.BlockRows; r < end; r++)
                {
                    if (Deleted.Contains(r) || (allowed is not null && !allowed.Passes(r))) continue;
                    colbert[r] = rows.Score(query.Values, r) / queryCount; // MaxSim where the vectors lie
                }
            });
        }
        var heap = new TopKHeap(Math.Min(k, n));
        for (int r = 0; r < n; r++)
        {
            if (Deleted.Contains(r) || (allowed is not null && !allowed.Passes(r))) continue;
            float score = weights.Combine(dense?[r] ?? 0f, lexical?[r] ?? 0f, colbert?[r] ?? 0f);
            if (score >= heap.Threshold) heap.Add(r, score, tieKeys[r]);
        }
        return heap.ToSortedArray();
    }

    // One row's weighted score (hybrid rerank fusion scores BM25's candidates so).
    private float BgeM3Score(BgeM3Output q, BgeM3Weights weights, int row)
    {
        float dense = weights.Dense != 0 ? TensorPrimitives.Dot(q.Dense, vectors!.Row(row)) : 0f;
        float lexical = weights.Sparse != 0 ? SparseEmbedding.Dot(q.Sparse!, mappedSparseRows!.Row(row)) : 0f;
        float colbert = weights.Colbert != 0 ? tokens!.Score(q.Colbert!.Values, row) / Math.Max(q.Colbert.Count, 1) : 0f;
        return weights.Combine(dense, lexical, colbert);
    }
}
