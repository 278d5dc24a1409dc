using System.Numerics.Tensors;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;
using Skald.Retrieval.Sparse;

namespace Skald.Retrieval.Index;

/// <summary>
/// An open index folder (<see cref="IndexWriter"/> describes the files): the embeddings memory-mapped
/// (<see cref="MappedRows"/>), searched exactly by <see cref="ExactSearch"/> or, in an index of quantized embeddings,
/// the quantized rows held in memory searched by <see cref="QuantizedSearch"/> and the best hits rescored with their
/// float rows read from the mapping (only those pages are touched), in an IVF index only the rows of the lists nearest
/// the query (<see cref="IvfSearch"/>), in a product-quantized index the codes held in memory scored by
/// <see cref="PqSearch"/> (in the probed lists when it has them) and the best rescored with their float rows, in an HNSW index the rows its graph leads to (<see cref="HnswSearch"/>, the graph memory-mapped: <see cref="HnswGraph.Open"/>); the saved <see cref="Bm25Index"/>; and
/// both fused by <see cref="Fusion"/> for hybrid search. A sparse encoder's index (<see cref="IndexManifest.Sparse"/>)
/// searches its rows' non-zero entries through a <see cref="SparseIndex"/> instead, mapped from <c>sparse.postings</c>
/// (rows copied out of the mapped <c>embeddings.sparse</c> when asked for; an index written before the postings file
/// existed is read whole and indexed in memory). Deleted rows (tombstones) are skipped until the next
/// compaction. A late-interaction index (<see cref="IndexManifest.MultiVector"/>) scores its rows' token vectors by exact
/// MaxSim (<see cref="SearchTokens"/>); a BGE-M3 index (<see cref="IndexManifest.BgeM3"/>) its stored outputs' weighted
/// scores (<see cref="SearchBgeM3"/>). Immutable once open, so one instance serves concurrent searches.
/// </summary>
public sealed partial class SearchIndex : IDisposable
{
    private readonly MappedRows? vectors;      // dense rows (null in a sparse index)
    private readonly Skald.Models.SparseEmbedding[]? sparseRows; // a sparse index's rows, read whole (no postings file)
    private readonly MappedSparseRows? mappedSparseRows;         // or mapped, with the postings
    private readonly SparseIndex? sparseIndex;
    private readonly QuantizedEmbeddings? quantized;
    private readonly ProductCodes? codes;
    private readonly InvertedLists? lists;
    private readonly HnswGraph? graph;
    private readonly MappedTokenRows? tokens; // a late-interaction index's token vectors
    private readonly Bm25Index bm25;
    private readonly Analyzer[] analyzers; // one per BM25 field (Bm25Fields)
    private readonly int[] tieKeys;
    private readonly FieldValues fieldValues; // the rows' fields as numbers and dates, for range filters
    private int disposed; // 1 once disposed: the mappings are gone

    private SearchIndex(string folder, IndexManifest manifest, IReadOnlyList<IndexRecord> records, HashSet<int> deleted,
        MappedRows? vectors, QuantizedEmbeddings? quantized, InvertedLists? lists, Bm25Index bm25, Analyzer[] analyzers,
        Skald.Models.SparseEmbedding[]? sparseRows = null, HnswGraph? graph = null, ProductCodes? codes = null,
        (SparseIndex Index, MappedSparseRows Rows)? mappedSparse = null, MappedTokenRows? tokens = null)
    {
        this.tokens = tokens;
        this.codes = codes;
        this.graph = graph;
        this.sparseRows = sparseRows;
        if (sparseRows is not null) sparseIndex = SparseIndex.Build(sparseRows, manifest.Dimension);
        if (mappedSparse is { } m) (sparseIndex, mappedSparseRows) = (m.Index, m.Rows);
        this.lists = lists;
        this.quantized = quantized;
        Folder = folder;
        Manifest = manifest;
        Records = records;
        Deleted = deleted;
        this.vectors = vectors;
        this.bm25 = bm25;
        this.analyzers = analyzers;
        tieKeys = [.. Enumerable.Range(0, records.Count).Select(r => -r)]; // equal scores: the earlier row first
        fieldValues = new FieldValues(records);
    }

    /// <summary>The index folder.</summary>
    public string Folder { get; }

    /// <summary>The manifest.</summary>
    public IndexManifest Manifest { get; }

    /// <summary>Every row's record, deleted rows included.</summary>
    public IReadOnlyList<IndexRecord> Records { get; }

    /// <summary>Deleted rows (tombstones).</summary>
    public IReadOnlySet<int> Deleted { get; }

    /// <summary>Rows that are not deleted.</summary>
    public int LiveCount => Records.Count - Deleted.Count;

    /// <summary>An IVF index's lists (null: dense search is exact).</summary>
    public InvertedLists? Lists => lists;

    /// <summary>A product-quantized index's codebooks (null: no codes).</summary>
    public ProductQuantizer? ProductQuantizer => codes?.Quantizer;

    /// <summary>An HNSW index's graph (null: dense search does not walk a graph).</summary>
    public HnswGraph? Graph => graph;

    /// <summary>Whether stored vectors are unit length (cosine similarity), so queries must be normalised too.</summary>
    public bool Normalized => Manifest.Similarity == "cosine";

    /// <summary><see cref="Open"/>'s one reading of the folder's files, each by its path (a writer may swap the folder meanwhile).</summary>
    private static SearchIndex OpenOnce(string folder)
    {
        // A writer killed between moving the old index aside and the new one in left it as a hidden sibling: put it
        // back (and drop dead writers' staging folders), as the next write would; best effort on a read-only disk.
        try
        {
            IndexRecovery.Recover(folder, folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        var manifest = IndexFolderReader.Manifest(folder, out string manifestPath);
        var records = IndexFolderReader.Records(Path.Combine(folder, IndexWriter.RecordsFile), manifest.Rows);
        var deleted = IndexFolderReader.Tombstones(Path.Combine(folder, IndexWriter.TombstonesFile), manifest.Rows);
        var bm25 = IndexFolderReader.Bm25(folder, manifest);
        var analyzer = Bm25Fields.Analyzers(bm25, new Bm25Model(new Bm25Options { Stem = manifest.Stemming.StartsWith("snowball", StringComparison.Ordinal) }).AnalyzerFor(manifest.Language, out _),
            Path.Combine(folder, IndexWriter.Bm25File));
        var quantized = IndexFolderReader.Quantized(folder, manifest);
        var lists = IndexFolderReader.Lists(folder, manifest, manifestPath);
        var graph = IndexFolderReader.Graph(folder, manifest, lists, manifestPath);
        try
        {
            var codes = IndexFolderReader.Codes(folder, manifest, lists);
            if (codes is not null && quantized is not null)
                throw new EvaluationException($"{manifestPath}: a product-quantized index has float32 rows beside its codes, not quantized ones");
            if (codes is not null && manifest.ByDistance && codes.Quantizer.DistanceRefusal(manifest.SimilarityFunction) is { } refusal)
                throw new EvaluationException($"{manifestPath}: similarity \"{manifest.Similarity}\" beside codes it cannot rank by ({refusal})"); // an edited manifest
            if (manifest.BgeM3 is not null) return OpenBgeM3(folder, manifest, manifestPath, records, deleted, bm25, analyzer);
            if (manifest.Sparse)
            {
                if (quantized is not null || lists is not null || codes is not null) throw new EvaluationException($"{manifestPath}: a sparse index has no quantized rows or IVF lists");
                string postingsPath = Path.Combine(folder, IndexWriter.PostingsFile), rowsPath = Path.Combine(folder, IndexWriter.SparseFile);
                if (!File.Exists(postingsPath))
                    return new SearchIndex(folder, manifest, records, deleted, null, null, null, bm25, analyzer,
                        SparseRows.Read(rowsPath, manifest.Rows, manifest.Dimension));
                var postings = SparseIndex.Open(postingsPath, manifest.Rows, manifest.Dimension);
                try
                {
                    var mapped = new MappedSparseRows(rowsPath, manifest.Dimension, postings.RowOffsets);
                    return new SearchIndex(folder, manifest, records, deleted, null, null, null, bm25, analyzer, mappedSparse: (postings, mapped));
                }
                catch
                {
                    postings.Dispose();
                    throw;
                }
            }
            var tokens = IndexFolderReader.Tokens(folder, manifest, manifestPath);
            try
            {
                var rows = new MappedRows(Path.Combine(folder, IndexWriter.EmbeddingsFile), manifest.Rows, manifest.Dimension);
                return new SearchIndex(folder, manifest, records, deleted, rows, quantized, lists, bm25, analyzer, graph: graph, codes: codes, tokens: tokens);
            }
            catch
            {
                tokens?.Dispose();
                throw;
            }
        }
        catch
        {
            graph?.Dispose(); // a part read after the graph was damaged: release its mapping now
            throw;
        }
    }

    /// <summary>The stored vector of a row [dim] (a view of the mapping; a sparse index's row written out dense).</summary>
    public ReadOnlySpan<float> Vector(int row)
    {
        ThrowIfDisposed();
        if (vectors is not null) return vectors.Row(row);
        var dense = new float[Manifest.Dimension];
        var e = SparseRow(row)!;
        for (int j = 0; j < e.Count; j++) dense[e.Indices[j]] = e.Values[j];
        return dense;
    }

    /// <summary>Non-zero entries of a sparse index's row (0 in a dense index), without copying the row out.</summary>
    public int SparseCount(int row)
    {
        ThrowIfDisposed();
        return sparseRows is not null ? sparseRows[row].Count : mappedSparseRows is not null ? mappedSparseRows.Count(row) : 0;
    }

    /// <summary>A sparse index's row (its non-zero entries); null in a dense index.</summary>
    public Skald.Models.SparseEmbedding? SparseRow(int row)
    {
        ThrowIfDisposed();
        return sparseRows?[row] ?? mappedSparseRows?.Row(row);
    }

    /// <summary>
    /// The best <paramref name="topK"/> live rows for one query. <paramref name="queryVector"/> (the model's query
    /// embedding; normalised here when the index is cosine) is needed for dense and hybrid search. In an index of
    /// quantized embeddings (or product-quantized codes) the best k·<paramref name="rescoreMultiplier"/> quantized hits are
    /// rescored with their float rows (0: the quantized scores are final). An IVF index scans the <paramref name="probes"/> lists nearest the query
    /// (0: the manifest's <see cref="IndexManifest.IvfProbes"/>); an HNSW index keeps <paramref name="ef"/> candidates
    /// (0: the manifest's <see cref="IndexManifest.HnswEf"/>; at least as many as the hits asked for). With
    /// <paramref name="filter"/> only rows it passes are returned: when fewer than half the rows pass, dense search scores
    /// those rows exactly from their float rows (no lists, graph or codes: the best passing rows, however few); when more
    /// do, it asks the index's own search for proportionally more hits and keeps the passing ones (exact if too few
    /// pass). BM25 ranks all the passing rows it matches. A negative <paramref name="rescoreMultiplier"/>,
    /// <paramref name="probes"/> or <paramref name="ef"/>, a <paramref name="topK"/> below 1 or a <paramref name="mode"/>
    /// that is not a <see cref="SearchMode"/> is an <see cref="ArgumentOutOfRangeException"/> naming it; a disposed
    /// index throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public IReadOnlyList<IndexHit> Search(string query, float[]? queryVector, SearchMode mode, int topK, FusionOptions? fusion = null,
        int rescoreMultiplier = 2, int probes = 0, int ef = 0, IndexFilter? filter = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rescoreMultiplier);
        ArgumentOutOfRangeException.ThrowIfNegative(probes);
        ArgumentOutOfRangeException.ThrowIfNegative(ef);
        CheckSearch(mode, topK);
        ThrowIfCut();
        if (Manifest.BgeM3 is not null && mode != SearchMode.Bm25)
            throw new ArgumentException($"{Folder}: a BGE-M3 index is searched with the query's BGE-M3 outputs (SearchBgeM3), not one vector", nameof(queryVector));
        if (tokens is not null && mode != SearchMode.Bm25)
            throw new ArgumentException($"{Folder}: a late-interaction ({Manifest.MultiVector}) index is searched with the query's token vectors (SearchTokens), not one vector", nameof(queryVector));
        if (probes == 0) probes = Math.Max(1, Manifest.IvfProbes);
        if (ef == 0) ef = Manifest.HnswEf > 0 ? Manifest.HnswEf : HnswOptions.DefaultEfSearch;
        fusion ??= FusionOptions.Default;
        float[]? q = null;
        if (mode != SearchMode.Bm25)
        {
            if (queryVector is not null && Manifest.TruncateDim > 0 && queryVector.Length > Manifest.Dimension)
                queryVector = queryVector[..Manifest.Dimension]; // the model's full query, cut as the rows were
            if (queryVector is null || queryVector.Length != Manifest.Dimension)
                throw new ArgumentException($"dense search needs a query vector of {Manifest.Dimension} values", nameof(queryVector));
            q = Normalized ? ExactSearch.Normalize([queryVector])[0] : queryVector;
        }
        var allowed = filter is null ? null : Allowed(filter);
        if (sparseIndex is not null) return SparseSearch(query, q, mode, topK, fusion, allowed);
        double lowest = 0;
        Hit[] hits = mode switch
        {
            SearchMode.Dense => Dense(q!, topK, rescoreMultiplier, probes, ef, allowed),
            SearchMode.Bm25 => Sparse(query, topK, allowed),
            _ when fusion.Mode == HybridMode.Rerank =>
                Fusion.Rerank(Sparse(query, fusion.Candidates, allowed), r => DenseScore(q!, r), topK, tieKeys),
            _ => Fusion.Fuse(Sparse(query, fusion.Candidates, allowed), Dense(q!, fusion.Candidates, rescoreMultiplier, probes, ef, allowed), fusion, topK, tieKeys, out lowest),
        };
        return Hits(hits, mode, fusion, lowest);
    }

    /// <summary>
    /// The checks of a search's <paramref name="mode"/> and <paramref name="topK"/> (<see cref="ArgumentOutOfRangeException"/>
    /// naming them), made by <see cref="Search"/> and, before the query is embedded, by <see cref="TextIndex.Search(SearchIndex, Models.EncoderEmbeddingModel, string, SearchMode, int, CancellationToken)"/>.
    /// </summary>
    internal static void CheckSearch(SearchMode mode, int topK)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be Dense, Bm25 or Hybrid");
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
    }

    /// <summary>Dense top-k among live rows (of the quantized rows, rescored, when the index has them; in the probed
    /// lists of an IVF index, where an HNSW index's graph leads, else exact).</summary>
    private Hit[] Dense(float[] q, int k, int rescoreMultiplier, int probes, int ef, RowFilter? allowed = null)
    {
        if (LiveCount == 0) return [];
        if (allowed is not null)
        {
            // Most rows pass: the index's own search, asked for enough more hits that k of them likely pass (else exact).
            if ((graph is not null || lists is not null || codes is not null || quantized is not null) && 2L * allowed.Count >= LiveCount)
            {
                int ask = (int)Math.Min(2L * k * LiveCount / Math.Max(1, allowed.Count) + 16, LiveCount);
                var broad = Dense(q, ask, rescoreMultiplier, probes, ef).Where(h => allowed.Passes(h.Index)).Take(k).ToArray();
                if (broad.Length == Math.Min(k, allowed.Count)) return broad;
            }
            return allowed.Exact(q, k, vectors!.Row, tieKeys, Manifest.SimilarityFunction);
        }
        if (Manifest.ByDistance && graph is null && lists is null) return DistanceDense(q, k, rescoreMultiplier); // lists and graphs know their distance
        if (graph is not null && codes is not null)
            return HnswSearch.TopK([q], graph, codes, Math.Min(k, LiveCount), ef, rescoreMultiplier, tieKeys, Deleted, vectors!.Row)[0];
        if (graph is not null)
            return quantized is null
                ? HnswSearch.TopK([q], graph, vectors!.Row, Math.Min(k, LiveCount), ef, tieKeys, Deleted)[0]
                : HnswSearch.TopK([q], graph, quantized, Math.Min(k, LiveCount), ef, rescoreMultiplier, tieKeys, Deleted, vectors!.Row)[0];
        int wanted = Math.Min(k + Deleted.Count, vectors!.Rows);
        if (codes is not null)
        {
            var pqHits = lists is null
                ? PqSearch.TopK([q], codes, wanted, rescoreMultiplier, tieKeys, vectors.Row)[0]
                : PqSearch.TopK([q], lists, probes, codes, wanted, rescoreMultiplier, tieKeys, vectors.Row)[0];
            return [.. pqHits.Where(h => !Deleted.Contains(h.Index)).Take(k)];
        }
        var hits = (lists, quantized) switch
        {
            (null, null) => ExactSearch.TopK([q], vectors!.Rows, vectors.Dimension, vectors.Block, wanted, tieKeys)[0],
            (null, _) => QuantizedSearch.TopK([q], quantized, wanted, rescoreMultiplier, tieKeys, vectors.Row)[0],
            (_, null) => IvfSearch.TopK([q], lists, probes, vectors.Span, wanted, tieKeys)[0],
            _ => IvfSearch.TopK([q], lists, probes, quantized, wanted, rescoreMultiplier, tieKeys, vectors.Row)[0],
        };
        return [.. hits.Where(h => !Deleted.Contains(h.Index)).Take(k)];
    }

    /// <summary>A sparse index's search: the query's non-zero entries through the inverted index, fused with BM25 as dense search is.</summary>
    private List<IndexHit> SparseSearch(string query, float[]? queryVector, SearchMode mode, int topK, FusionOptions fusion, RowFilter? allowed)
    {
        var q = queryVector is null ? null : Skald.Models.SparseEmbedding.FromDense(queryVector, Manifest.MaxActiveDims > 0 ? Manifest.MaxActiveDims : null);
        if (q is not null && Manifest.Similarity == "cosine") q = q.Normalized(); // the rows are stored at unit length
        Hit[] Learned(int k)
        {
            if (LiveCount == 0) return [];
            var hits = sparseIndex!.TopK([q!], (int)Math.Min((long)k + (allowed?.Excluded ?? Deleted.Count), Records.Count), tieKeys)[0];
            return [.. hits.Where(h => !Deleted.Contains(h.Index) && (allowed?.Passes(h.Index) ?? true)).Take(k)];
        }
        double lowest = 0;
        Hit[] hits = mode switch
        {
            SearchMode.Dense => Learned(topK),
            SearchMode.Bm25 => Sparse(query, topK, allowed),
            _ when fusion.Mode == HybridMode.Rerank =>
                Fusion.Rerank(Sparse(query, fusion.Candidates, allowed), r => Skald.Models.SparseEmbedding.Dot(q!, SparseRow(r)!), topK, tieKeys),
            _ => Fusion.Fuse(Sparse(query, fusion.Candidates, allowed), Learned(fusion.Candidates), fusion, topK, tieKeys, out lowest),
        };
        return Hits(hits, mode, fusion, lowest);
    }

    /// <summary>
    /// The hits as results; fused ones (hybrid search by RRF or a convex combination) with their score shown in [0, 1]
    /// (<see cref="Fusion.Scaled"/>, <paramref name="lowest"/> the lowest fused score of the candidates).
    /// </summary>
    private List<IndexHit> Hits(Hit[] hits, SearchMode mode, FusionOptions fusion, double lowest)
    {
        bool fused = mode == SearchMode.Hybrid && fusion.Mode != HybridMode.Rerank;
        return [.. hits.Select(h => new IndexHit(h.Index, h.Score, Records[h.Index])
        {
            ScaledScore = fused ? Fusion.Scaled(fusion, h.Score, hits[0].Score, lowest) : null,
        })];
    }

    /// <summary>BM25 top-k among live rows (only rows sharing a term with the query).</summary>
    private Hit[] Sparse(string query, int k, RowFilter? allowed = null)
    {
        if (LiveCount == 0) return [];
        var hits = bm25.Search(Bm25Fields.Analyze(analyzers, query), (int)Math.Min((long)k + (allowed?.Excluded ?? Deleted.Count), Records.Count), tieKeys);
        return [.. hits.Where(h => !Deleted.Contains(h.Index) && (allowed?.Passes(h.Index) ?? true)).Take(k)];
    }

    /// <summary>The live rows <paramref name="filter"/> passes.</summary>
    private RowFilter Allowed(IndexFilter filter)
    {
        var pass = new bool[Records.Count];
        var bySource = new Dictionary<string, bool>(StringComparer.Ordinal); // a pattern runs once per file, not per row
        for (int r = 0; r < pass.Length; r++)
        {
            if (Deleted.Contains(r)) continue;
            var record = Records[r];
            if (!bySource.TryGetValue(record.Source, out bool source)) bySource[record.Source] = source = filter.MatchesSource(record.Source, Manifest.DocumentsRoot);
            pass[r] = source && filter.MatchesFields(record.Fields, r, fieldValues);
        }
        return new RowFilter(pass);
    }

    /// <summary>
    /// Throws <see cref="EvaluationException"/> naming the file when a mapped file of the index was cut shorter in place
    /// since it was opened (another process truncating or rewriting it; Skald's own writes replace the folder), before a
    /// search reads pages that are gone, which would crash the process. Checked at the start of every search, and by
    /// <see cref="IndexBuilder.Add"/> before it copies the kept rows out (<see cref="Vector"/> and <see cref="SparseRow"/>
    /// do not check: a caller reading many rows asks once, here).
    /// </summary>
    public void ThrowIfCut()
    {
        ThrowIfDisposed();
        vectors?.ThrowIfCut();
        graph?.ThrowIfCut();
        mappedSparseRows?.ThrowIfCut();
        sparseIndex?.ThrowIfCut();
        tokens?.ThrowIfCut();
    }

    /// <summary>
    /// Throws <see cref="ObjectDisposedException"/> once the index is disposed (its mappings are gone: reading them would
    /// fault the process). Checked by <see cref="Search"/>, <see cref="ThrowIfCut"/>, <see cref="Vector"/>, <see cref="SparseRow"/> and <see cref="SparseCount"/>, and by
    /// <see cref="TextIndex.Search(SearchIndex, Models.EncoderEmbeddingModel, string, SearchMode, int, CancellationToken)"/> before it embeds the query; a search already running when another thread disposes
    /// the index is not caught (<see cref="LiveIndex"/> leases keep an index open while it is searched).
    /// </summary>
    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        vectors?.Dispose();
        graph?.Dispose();
        mappedSparseRows?.Dispose();
        sparseIndex?.Dispose();
        tokens?.Dispose();
    }
}
