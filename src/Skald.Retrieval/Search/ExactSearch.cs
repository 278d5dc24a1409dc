using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Skald.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Search;

/// <summary>
/// Exact top-k inner-product search: the corpus is processed in chunks of <see cref="ChunkRows"/> rows. Up to
/// <see cref="ScanQueries"/> queries scan each chunk with SIMD dot products split among the cores (memory-bound: one
/// read of every row); more queries are scored by GEMMs (<see cref="Blas.SgemmPacked"/>: the managed SIMD kernel, or
/// OpenBLAS), each core multiplying stripes of a chunk by the packed queries into a score block of its own, and every
/// query keeps a bounded min-heap per core, merged at the end. Memory beyond the inputs is one chunk copy, the packed
/// queries and per core a score block and the heaps, so a million-document corpus fits. For cosine similarity pass
/// L2-normalised vectors (<see cref="Normalize"/>).
/// </summary>
public static class ExactSearch
{
    /// <summary>Corpus rows per GEMM chunk.</summary>
    public const int ChunkRows = 8192;

    /// <summary>Up to this many queries are searched by scanning rows with SIMD dot products instead of a GEMM.</summary>
    public const int ScanQueries = 4;

    /// <summary>Rows per stripe of the scan (their scores stay in L1 until the heap has seen them).</summary>
    private const int ScanStripe = 256;

    /// <summary>Rows a scanning thread claims at once (a run of stripes): long enough for the hardware prefetcher to
    /// stream, short enough that a thread which loses its core leaves most of a chunk to the others.</summary>
    private const int ScanClaim = 64 * ScanStripe;

    /// <summary>Queries per GEMM (bounds a core's score block at QueryBlock × <see cref="BatchStripe"/> floats).</summary>
    public const int QueryBlock = 512;

    /// <summary>Corpus rows a core claims for one GEMM when many queries search (its scores, 512 KB for 256 queries,
    /// stay in its L2 while they are offered to the heaps).</summary>
    private const int BatchStripe = 512;

    /// <summary>Bytes the per-core heaps of a many-query search may take together (fewer cores share the work beyond).</summary>
    private const long HeapBudget = 256L << 20;

    /// <summary>Top-<paramref name="k"/> corpus rows for each query, best first (ties: higher tie-key first).</summary>
    /// <param name="queries">Query vectors, all of the same dimension.</param>
    /// <param name="corpus">Corpus vectors of that dimension.</param>
    /// <param name="k">Hits per query; more than the corpus size returns the whole corpus ranked.</param>
    /// <param name="tieKeys">Optional tie-breaker per corpus row (higher wins on equal scores); default: lower row index wins.</param>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, IReadOnlyList<float[]> corpus, int k, IReadOnlyList<int>? tieKeys = null)
    {
        if (corpus.Count == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        int dim = corpus[0].Length;
        var buffer = new float[Math.Min(ChunkRows, corpus.Count) * dim];
        return TopK(queries, corpus.Count, dim, (start, count) =>
        {
            for (int r = 0; r < count; r++)
            {
                var row = corpus[start + r];
                if (row.Length != dim) throw new ArgumentException($"corpus row {start + r} has {row.Length} values, expected {dim}");
                row.CopyTo(buffer, r * dim);
            }
            return buffer.AsMemory(0, count * dim);
        }, k, tieKeys);
    }

    /// <summary>As <see cref="TopK(IReadOnlyList{float[]}, IReadOnlyList{float[]}, int, IReadOnlyList{int}?)"/> over a row-major [rows × dim] matrix (no copies).</summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, float[] corpus, int rows, int dim, int k, IReadOnlyList<int>? tieKeys = null)
    {
        if ((long)rows * dim > corpus.Length) throw new ArgumentException("corpus matrix is smaller than rows × dim");
        return TopK(queries, rows, dim, (start, count) => corpus.AsMemory(start * dim, count * dim), k, tieKeys, rows);
    }

    /// <summary>
    /// As <see cref="TopK(IReadOnlyList{float[]}, IReadOnlyList{float[]}, int, IReadOnlyList{int}?)"/> over a corpus that
    /// <paramref name="chunk"/> hands out in row blocks: (first row, row count) → that block, row-major [count × dim]
    /// (e.g. read from a memory-mapped file; the memory may be reused by the next call).
    /// </summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, int rows, int dim, Func<int, int, ReadOnlyMemory<float>> chunk,
        int k, IReadOnlyList<int>? tieKeys = null) => TopK(queries, rows, dim, chunk, k, tieKeys, ChunkRows);

    /// <summary>The search, with the scan's chunk size: a corpus already in one matrix is scanned as a single chunk
    /// (one parallel region over the whole corpus instead of one fork and join per <see cref="ChunkRows"/> rows).</summary>
    internal static Hit[][] TopK(IReadOnlyList<float[]> queries, int rows, int dim, Func<int, int, ReadOnlyMemory<float>> chunk,
        int k, IReadOnlyList<int>? tieKeys, int scanChunkRows, bool packQueries = true)
    {
        if (rows == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        k = Math.Min(k, rows);
        int nq = queries.Count;
        var q = new float[nq * dim];
        for (int i = 0; i < nq; i++)
        {
            if (queries[i].Length != dim) throw new ArgumentException($"query {i} has {queries[i].Length} values, the corpus {dim}");
            queries[i].CopyTo(q, i * dim);
        }
        var heaps = TopKHeap.Many(nq, k);
        if (nq <= ScanQueries)
        {
            Scan(q, nq, rows, dim, chunk, k, tieKeys, heaps, Math.Max(ChunkRows, scanChunkRows));
            return [.. heaps.Select(h => h.ToSortedArray())];
        }
        Batched(q, nq, rows, dim, chunk, tieKeys, heaps, packQueries);
        return [.. heaps.Select(h => h.ToSortedArray())];
    }

    /// <summary>
    /// Many queries: they are packed once as the GEMM's B in blocks of <see cref="QueryBlock"/> (<see cref="Blas.Pack"/>),
    /// and each chunk is cut into stripes of <see cref="BatchStripe"/> rows that the cores claim; per query block, a
    /// stripe's scores [rows × queries] = stripe · Qᵀ come from one GEMM on the claiming core (nested in the region, so
    /// single-threaded; the stripe read in place as A, nothing packed per chunk) into that core's score block, which
    /// stays in its L2 while it is offered to the core's own heaps (<see cref="OfferRows"/>); the heaps are merged into
    /// <paramref name="heaps"/> at the end. Each score is the same FMA chain as the query-major product's, so the hits do
    /// not change with the split. The cores are at most the stripes of a chunk, and fewer when their heaps would pass
    /// <see cref="HeapBudget"/>. Without the managed backend (OpenBLAS: no packed operand, threads of its own), or with
    /// <paramref name="packQueries"/> off (tests), the stripes run one after another, each GEMM on all cores.
    /// </summary>
    private static void Batched(float[] q, int nq, int rows, int dim, Func<int, int, ReadOnlyMemory<float>> chunk,
        IReadOnlyList<int>? tieKeys, TopKHeap[] heaps, bool packQueries)
    {
        int k = heaps[0].Capacity, blocks = (nq + QueryBlock - 1) / QueryBlock;
        var packed = new PackedMatrix?[blocks];
        for (int b = 0; b < blocks && packQueries; b++)
        {
            int m = Math.Min(QueryBlock, nq - b * QueryBlock);
            packed[b] = Blas.Pack(true, dim, m, q.AsSpan(b * QueryBlock * dim, m * dim), dim);
        }
        int units = 1;
        if (packed[0] is not null)
        {
            int stripes = (Math.Min(rows, ChunkRows) + BatchStripe - 1) / BatchStripe;
            units = Math.Max(1, Math.Min(Parallelism.MaxThreads, stripes));
            while (units > 1 && (long)units * nq * k * TopKHeap.BytesPerEntry > HeapBudget) units--;
        }
        var local = new TopKHeap[units][];
        var thresholds = new float[units][];
        var scores = new float[units][];
        for (int u = 0; u < units; u++)
        {
            local[u] = u == 0 ? heaps : TopKHeap.Many(nq, k); // the first core fills the caller's heaps
            thresholds[u] = new float[nq];
            thresholds[u].AsSpan().Fill(float.NegativeInfinity);
            scores[u] = new float[BatchStripe * Math.Min(nq, QueryBlock)];
        }
        var next = new int[1];
        ReadOnlyMemory<float> block = default;
        int count = 0, baseRow = 0;
        void Claim(int u)
        {
            int s0;
            while ((s0 = Interlocked.Add(ref next[0], BatchStripe) - BatchStripe) < count)
            {
                int n = Math.Min(BatchStripe, count - s0);
                for (int b = 0; b < blocks; b++)
                {
                    int q0 = b * QueryBlock, m = Math.Min(QueryBlock, nq - q0);
                    // scores[n × m] = stripe[n × dim] · Q[q0 .. q0 + m]ᵀ
                    Blas.SgemmPacked(false, true, n, m, dim, 1f, block.Span.Slice(s0 * dim, n * dim), dim,
                        q.AsSpan(q0 * dim, m * dim), dim, packed[b], 0f, scores[u].AsSpan(0, n * m), m);
                    OfferRows(scores[u], n, m, baseRow + s0, local[u].AsSpan(q0, m), thresholds[u].AsSpan(q0, m), tieKeys);
                }
            }
        }
        Action<int, int> claimAll = (u0, u1) =>
        {
            for (int u = u0; u < u1; u++) Claim(u);
        };
        for (int start = 0; start < rows; start += ChunkRows)
        {
            count = Math.Min(ChunkRows, rows - start);
            block = chunk(start, count);
            baseRow = start;
            next[0] = 0;
            if (units == 1) Claim(0);
            else Parallelism.For(units, 1, claimAll);
        }
        for (int u = 1; u < units; u++)
            for (int i = 0; i < nq; i++) local[u][i].AddAllTo(heaps[i]);
    }

    /// <summary>
    /// Rows [row0, row0 + n) of a score block [n × nq] (row-major: a corpus row's scores for every query side by side)
    /// offered to the queries' heaps: per row, the scores are compared with the heaps' thresholds kept in
    /// <paramref name="thresholds"/> [nq] a vector at a time, and only those not below go to <see cref="TopKHeap.Add"/>
    /// (whose threshold is copied back after it).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void OfferRows(float[] scores, int n, int nq, int row0, Span<TopKHeap> heaps, Span<float> thresholds,
        IReadOnlyList<int>? tieKeys)
    {
        var s = scores.AsSpan(0, n * nq);
        for (int j = 0; j < n; j++)
        {
            var row = s.Slice(j * nq, nq);
            int r = row0 + j, i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; i + 8 <= nq; i += 8)
                {
                    uint hits = Vector256.GreaterThanOrEqual(Vector256.Create<float>(row.Slice(i, 8)),
                        Vector256.Create<float>(thresholds.Slice(i, 8))).ExtractMostSignificantBits();
                    while (hits != 0)
                    {
                        int qi = i + System.Numerics.BitOperations.TrailingZeroCount(hits);
                        hits &= hits - 1;
                        heaps[qi].Add(r, row[qi], tieKeys is null ? -r : tieKeys[r]);
                        thresholds[qi] = heaps[qi].Threshold;
                    }
                }
            }
            for (; i < nq; i++)
            {
                if (!(row[i] >= thresholds[i])) continue;
                heaps[i].Add(r, row[i], tieKeys is null ? -r : tieKeys[r]);
                thresholds[i] = heaps[i].Threshold;
            }
        }
    }

    /// <summary>
    /// Few queries: a GEMM would be a matrix-vector product bound by memory anyway, so each chunk is split among the
    /// cores and scanned by <see cref="RowDots"/> (every row read once, a stripe of scores in L1, a per-thread heap per
    /// query); the heaps are merged at the end. The threads claim runs of <see cref="ScanClaim"/> rows from a
    /// shared counter, so a thread that loses its core leaves its share to the others; the result does not depend on
    /// which thread scored a row (<see cref="TopKHeap"/> orders hits totally). Nothing is allocated per chunk but the
    /// parallel loop's closure.
    /// </summary>
    private static void Scan(float[] q, int nq, int rows, int dim, Func<int, int, ReadOnlyMemory<float>> chunk, int k,
        IReadOnlyList<int>? tieKeys, TopKHeap[] heaps, int scanChunkRows)
    {
        int chunkRows = Math.Min(scanChunkRows, rows);
        int workers = Math.Clamp(chunkRows / ScanStripe, 1, Parallelism.MaxThreads);
        var local = new TopKHeap[workers][];
        var stripes = new float[workers][];
        for (int w = 0; w < workers; w++)
        {
            local[w] = TopKHeap.Many(nq, k);
            stripes[w] = new float[ScanStripe];
        }
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = workers };
        for (int start = 0; start < rows; start += chunkRows)
        {
            int count = Math.Min(chunkRows, rows - start);
            var block = chunk(start, count);
            int baseRow = start;
            var next = new int[1];
            Parallel.For(0, workers, parallel, w =>
            {
                var span = block.Span;
                var stripe = stripes[w];
                int c0;
                while ((c0 = Interlocked.Add(ref next[0], ScanClaim) - ScanClaim) < count)
                {
                    for (int s0 = c0; s0 < Math.Min(count, c0 + ScanClaim); s0 += ScanStripe)
                    {
                        int n = Math.Min(ScanStripe, count - s0);
                        var rowsSpan = span.Slice(s0 * dim, n * dim);
                        for (int i = 0; i < nq; i++)
                            RowDots.Offer(q.AsSpan(i * dim, dim), rowsSpan, dim, baseRow + s0, stripe.AsSpan(0, n), local[w][i], tieKeys);
                    }
                }
            });
        }
        for (int w = 0; w < workers; w++)
        {
            for (int i = 0; i < nq; i++) local[w][i].AddAllTo(heaps[i]);
        }
    }

    /// <summary>
    /// The scores <see cref="TopK(IReadOnlyList{float[]}, IReadOnlyList{float[]}, int, IReadOnlyList{int}?)"/> ranks a few
    /// queries' rows by (its scan, up to <see cref="ScanQueries"/> queries), bit for bit: <paramref name="scores"/>[r] =
    /// <paramref name="query"/> · row r of the row-major [scores.Length × dim] <paramref name="rows"/>, rows taken four at
    /// a time from the first, so a block starting at a multiple of four rows of the corpus scores as the scan does.
    /// </summary>
    public static void Scores(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, int dim, Span<float> scores) =>
        RowDots.Dots(query, rows, dim, scores);

    /// <summary>Copies of the vectors scaled to unit L2 norm (zero vectors stay zero).</summary>
    public static float[][] Normalize(IReadOnlyList<float[]> vectors) =>
        [.. vectors.Select(v =>
        {
            var r = (float[])v.Clone();
            float n = TensorPrimitives.Norm(r);
            if (n > 0) TensorPrimitives.Divide(r, n, r);
            return r;
        })];
}
