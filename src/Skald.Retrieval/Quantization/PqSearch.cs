using System.Numerics.Tensors;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Top-k search over product-quantized rows (<see cref="ProductCodes"/>), faiss's <c>IndexPQ</c> and
/// <c>IndexIVFPQ</c> with inner product: per query one table of its inner products with every centroid
/// (<see cref="ProductQuantizer.Table"/>), each code scored by M lookups, q · x̂ = Σₘ T[m][cₘ] (plus q · c_list for
/// residual codes in an IVF list), and with rescoring the best k·multiplier scored again against the rows' float
/// embeddings (<see cref="FloatRow"/>, e.g. a memory-mapped file) and the best k kept. Ties go to the higher tie key,
/// then the lower row. The exact scan is striped over the cores (<see cref="QuantizedSearch"/>'s claims); an IVF search
/// probes lists as <see cref="IvfSearch"/> does.
/// </summary>
public static class PqSearch
{
    /// <summary>
    /// Top-<paramref name="k"/> of every code for each float query, best first; the best k·<paramref name="rescoreMultiplier"/>
    /// rescored against <paramref name="floatRows"/> when given (0 or no float rows: the codes' scores are final).
    /// </summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, ProductCodes corpus, int k, int rescoreMultiplier,
        IReadOnlyList<int>? tieKeys = null, FloatRow? floatRows = null)
    {
        Check(queries, corpus, k, rescoreMultiplier);
        if (corpus.Residual) throw new ArgumentException("residual codes are searched through their IVF lists", nameof(corpus));
        if (corpus.Rows == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        var tables = Tables(queries, corpus.Quantizer);
        int first = Wanted(corpus.Rows, k, rescoreMultiplier, floatRows);
        var fast = FastTables(tables, corpus);
        var candidates = QuantizedSearch.Striped(queries.Count, corpus.Rows, first,
            (i, r0, r1, heap) => Scan(tables[i], fast?[i], corpus, r0, r1, 0f, heap, tieKeys));
        return Rescore(queries, candidates, k, rescoreMultiplier, tieKeys, floatRows);
    }

    /// <summary>
    /// Top-<paramref name="k"/> of every code for each float query under a distance similarity, best (nearest) first:
    /// per query a table of its negated distances to the centroids (<see cref="ProductQuantizer.DistanceTable"/>, as
    /// faiss's <c>IndexPQ</c> with L2 searches), each code scored by the same lookups as the inner-product scan (the fast
    /// scan too), so a code's sum is minus its reconstruction's squared Euclidean (or its Manhattan) distance to the
    /// query; the scores returned are <see cref="Skald.Models.Modules.Similarities"/>' (−‖q − x̂‖, −Σ|q − x̂|) of the
    /// reconstruction. Codes whose quantizer keeps no such distance (<see cref="ProductQuantizer.DistanceRefusal(Skald.Models.Modules.SimilarityFunction)"/>) and
    /// residual codes are an <see cref="ArgumentException"/>.
    /// </summary>
    public static Hit[][] DistanceTopK(Skald.Models.Modules.SimilarityFunction similarity, IReadOnlyList<float[]> queries, ProductCodes corpus,
        int k, IReadOnlyList<int>? tieKeys = null)
    {
        Check(queries, corpus, k, 0);
        if (corpus.Residual) throw new ArgumentException("residual codes are searched through their IVF lists", nameof(corpus));
        if (corpus.Quantizer.DistanceRefusal(similarity) is { } refusal) throw new ArgumentException(refusal, nameof(similarity));
        if (corpus.Rows == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        var pq = corpus.Quantizer;
        var tables = new float[queries.Count][];
        var offsets = new float[queries.Count];
        for (int i = 0; i < tables.Length; i++) offsets[i] = -pq.DistanceTable(queries[i], similarity, tables[i] = new float[pq.Subspaces * pq.Centroids]);
        var fast = FastTables(tables, corpus);
        var hits = QuantizedSearch.Striped(queries.Count, corpus.Rows, Math.Min(k, corpus.Rows),
            (i, r0, r1, heap) => Scan(tables[i], fast?[i], corpus, r0, r1, offsets[i], heap, tieKeys));
        return [.. hits.Select(h => AsDistances(similarity, h, 0f))];
    }

    /// <summary>
    /// Hits scored by a distance table's sums (<see cref="ProductQuantizer.DistanceTable"/>) with <paramref name="offset"/>
    /// (minus the table's constant) added, as <see cref="Skald.Models.Modules.Similarities"/>' scores of the
    /// reconstructions: a Euclidean sum −‖q − x̂‖² becomes −‖q − x̂‖ (monotone: the order stays; held at 0 against the
    /// rotation constant's rounding), a Manhattan one is already −Σ|q − x̂|.
    /// </summary>
    internal static Hit[] AsDistances(Skald.Models.Modules.SimilarityFunction similarity, Hit[] hits, float offset) =>
        similarity == Skald.Models.Modules.SimilarityFunction.Euclidean
            ? [.. hits.Select(x => new Hit(x.Index, -MathF.Sqrt(MathF.Max(0f, -(x.Score + offset)))))]
            : offset == 0 ? hits : [.. hits.Select(x => new Hit(x.Index, x.Score + offset))];

    /// <summary>
    /// Top-<paramref name="k"/> among the codes of each query's <paramref name="probes"/> nearest lists (codes in the
    /// lists' row order; residual codes scored with q · c_list added; distance lists by distance tables,
    /// <see cref="ListDistanceTopK"/>), rescored as
    /// <see cref="TopK(IReadOnlyList{float[]}, ProductCodes, int, int, IReadOnlyList{int}?, FloatRow?)"/>.
    /// </summary>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, InvertedLists lists, int probes, ProductCodes corpus, int k,
        int rescoreMultiplier, IReadOnlyList<int>? tieKeys = null, FloatRow? floatRows = null)
    {
        Check(queries, corpus, k, rescoreMultiplier);
        ArgumentOutOfRangeException.ThrowIfLessThan(probes, 1);
        if (corpus.Rows != lists.Rows) throw new ArgumentException($"{corpus.Rows} codes, the lists hold {lists.Rows} rows", nameof(corpus));
        if (lists.Dimension != corpus.Quantizer.Dimension) throw new ArgumentException("the lists and the codes are of different widths", nameof(lists));
        int dim = lists.Dimension;
        int first = Wanted(corpus.Rows, k, rescoreMultiplier, floatRows);
        if (lists.ByDistance) return ListDistanceTopK(queries, lists, probes, corpus, k, first, rescoreMultiplier, tieKeys, floatRows);
        var tables = Tables(queries, corpus.Quantizer);
        var fast = FastTables(tables, corpus);
        var candidates = IvfSearch.Each(queries, lists, probes, first, (i, l, heap) =>
        {
            float offset = corpus.Residual ? TensorPrimitives.Dot(queries[i], lists.Centroids.Slice(l * dim, dim)) : 0f;
            Scan(tables[i], fast?[i], corpus, lists.Start(l), lists.Start(l + 1), offset, heap, tieKeys);
        });
        return Rescore(queries, candidates, k, rescoreMultiplier, tieKeys, floatRows);
    }

    /// <summary>
    /// The IVF search of distance lists (<see cref="InvertedLists.ByDistance"/>): in each probed list a table of the
    /// query's negated distances to the centroids (<see cref="ProductQuantizer.DistanceTable"/>; of q − c_list for
    /// residual codes, whose reconstruction is c_list + r̂, so the table's sums are −‖q − c_list − r̂‖² or
    /// −Σ|q − c_list − r̂| as faiss's <c>IndexIVFPQ</c> with L2 computes them), every code scored from it (not through
    /// the fast scan's byte tables: one table a list); the best <paramref name="first"/> rescored by the float rows'
    /// distance, else scored as the reconstructions' distances (<see cref="AsDistances"/>).
    /// </summary>
    private static Hit[][] ListDistanceTopK(IReadOnlyList<float[]> queries, InvertedLists lists, int probes, ProductCodes corpus, int k, int first,
        int rescoreMultiplier, IReadOnlyList<int>? tieKeys, FloatRow? floatRows)
    {
        var pq = corpus.Quantizer;
        var similarity = lists.Similarity;
        if (pq.DistanceRefusal(similarity) is { } refusal) throw new ArgumentException(refusal, nameof(corpus));
        int dim = lists.Dimension;
        var candidates = IvfSearch.Each(queries, lists, probes, first, (i, l, heap) =>
        {
            var (table, shifted) = Scratch(pq.Subspaces * pq.Centroids, dim);
            ReadOnlySpan<float> q = queries[i];
            if (corpus.Residual)
            {
                TensorPrimitives.Subtract(q, lists.Centroids.Slice(l * dim, dim), shifted);
                q = shifted;
            }
            float offset = -pq.DistanceTable(q, similarity, table);
            Scan(table, null, corpus, lists.Start(l), lists.Start(l + 1), offset, heap, tieKeys);
        });
        if (floatRows is null || rescoreMultiplier == 0) return [.. candidates.Select(h => AsDistances(similarity, h, 0f))];
        return QuantizedSearch.RescoreBy(queries.Count, candidates, k, tieKeys,
            (qi, row) => Skald.Models.Modules.Similarities.Compute(similarity, queries[qi], floatRows(row)));
    }

    [ThreadStatic] private static float[]? tableScratch, queryScratch;

    /// <summary>This thread's table of <paramref name="tableLength"/> values and query buffer of <paramref name="dim"/>
    /// (kept: a list's table costs no allocation).</summary>
    private static (float[] Table, float[] Query) Scratch(int tableLength, int dim)
    {
        if (tableScratch is null || tableScratch.Length < tableLength) tableScratch = new float[tableLength];
        if (queryScratch is null || queryScratch.Length != dim) queryScratch = new float[dim];
        return (tableScratch, queryScratch);
    }

    /// <summary>
    /// Codes [r0, r1) scored from one query's table (+ <paramref name="offset"/>) and offered to <paramref name="heap"/>:
    /// through the byte table <paramref name="fast"/> when given (<see cref="ScanBlocks"/>), else every code.
    /// </summary>
    private static void Scan(float[] table, FastScanTable? fast, ProductCodes corpus, int r0, int r1, float offset, TopKHeap heap,
        IReadOnlyList<int>? tieKeys)
    {
        if (fast is not null) ScanBlocks(table, fast, corpus, r0, r1, offset, heap, tieKeys);
        else if (corpus.BitPacked is { } packed) ScanPacked(table, corpus, packed, r0, r1, offset, heap, tieKeys);
        else if (corpus.Bytes is null)
            for (int r = r0; r < r1; r++) heap.Offer(r, offset + corpus.Score(r, table), tieKeys);
        else ScanRows(table, corpus, r0, r1, offset, heap, tieKeys);
    }

    /// <summary>
    /// Byte codes [r0, r1) scored from one query's table, <paramref name="offset"/> + Σₘ T[m·K + cₘ], offered to
    /// <paramref name="heap"/>; four rows at a time, each summed in subspace order (as <see cref="ProductQuantizer.Score"/>).
    /// </summary>
    internal static unsafe void ScanRows(float[] table, ProductCodes corpus, int r0, int r1, float offset, TopKHeap heap,
        IReadOnlyList<int>? tieKeys)
    {
        int m = corpus.Quantizer.Subspaces, k = corpus.Quantizer.Centroids;
        fixed (float* t = table)
        fixed (byte* codes = corpus.Bytes)
        {
            int r = r0;
            for (; r + 4 <= r1; r += 4)
            {
                byte* c0 = codes + (long)r * m, c1 = c0 + m, c2 = c1 + m, c3 = c2 + m;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                float* tm = t;
                for (int j = 0; j < m; j++, tm += k)
                {
                    s0 += tm[c0[j]];
                    s1 += tm[c1[j]];
                    s2 += tm[c2[j]];
                    s3 += tm[c3[j]];
                }
                heap.Offer(r, offset + s0, tieKeys);
                heap.Offer(r + 1, offset + s1, tieKeys);
                heap.Offer(r + 2, offset + s2, tieKeys);
                heap.Offer(r + 3, offset + s3, tieKeys);
            }
            for (; r < r1; r++) heap.Offer(r, offset + corpus.Score(r, table), tieKeys);
        }
    }

    /// <summary>
    /// Codes of 5–7 bits [r0, r1), packed, scored a chunk of rows at a time by <see cref="PackedCodes.ScoreRows"/> (the
    /// same sums as <see cref="ScanRows"/> over the unpacked codes) and offered to <paramref name="heap"/>.
    /// </summary>
    internal static void ScanPacked(float[] table, ProductCodes corpus, byte[] packed, int r0, int r1, float offset, TopKHeap heap,
        IReadOnlyList<int>? tieKeys)
    {
        const int Chunk = 256;
        Span<float> scores = stackalloc float[Chunk];
        int m = corpus.Quantizer.Subspaces, k = corpus.Quantizer.Centroids;
        for (int r = r0; r < r1; r += Chunk)
        {
            var chunk = scores[..Math.Min(Chunk, r1 - r)];
            PackedCodes.ScoreRows(packed, m, corpus.Bits, table, k, r, chunk);
            for (int i = 0; i < chunk.Length; i++) heap.Offer(r + i, offset + chunk[i], tieKeys);
        }
    }

    /// <summary>
    /// 4-bit codes [r0, r1) offered to <paramref name="heap"/> as scoring every code would offer them, with the same
    /// float scores, but each block's byte sums (<see cref="FastScanBlocks.Sums"/>) first: a row whose sum shows it
    /// cannot reach the heap's threshold (<see cref="FastScanTable.Floor"/>) is not scored, so the heap ends the same.
    /// Rows of the first and last block outside [r0, r1) (another IVF list's) are passed over. Returns the rows scored.
    /// </summary>
    internal static int ScanBlocks(float[] table, FastScanTable fast, ProductCodes corpus, int r0, int r1, float offset,
        TopKHeap heap, IReadOnlyList<int>? tieKeys)
    {
        var blocks = corpus.Blocks();
        Span<ushort> sums = stackalloc ushort[FastScanBlocks.BlockRows];
        int scored = 0;
        for (int b = r0 / FastScanBlocks.BlockRows; b * FastScanBlocks.BlockRows < r1; b++)
        {
            int floor = fast.Floor(heap.Threshold, offset);
            if (floor > ushort.MaxValue) return scored; // the threshold only rises
            FastScanBlocks.Sums(blocks.Block(b), blocks.Pairs, fast.Lut, sums);
            int first = b * FastScanBlocks.BlockRows, lo = Math.Max(r0 - first, 0), hi = Math.Min(r1 - first, FastScanBlocks.BlockRows);
            for (int j = sums[lo..hi].IndexOfAnyInRange((ushort)floor, ushort.MaxValue); j >= 0;)
            {
                int row = first + lo + j;
                heap.Offer(row, offset + corpus.Score(row, table), tieKeys);
                scored++;
                floor = fast.Floor(heap.Threshold, offset);
                if (floor > ushort.MaxValue) return scored;
                int next = sums[(lo + j + 1)..hi].IndexOfAnyInRange((ushort)floor, ushort.MaxValue);
                j = next < 0 ? -1 : j + 1 + next;
            }
        }
        return scored;
    }

    /// <summary>
    /// Whether 4-bit codes are scanned through their byte tables (false: every code scored from the packed layout, one
    /// row at a time). Process-wide; for benchmarks only.
    /// </summary>
    internal static bool FastScan { get; set; } = true;

    /// <summary>
    /// Byte tables for the fast scan of 4-bit codes (M ≤ 257: 16-bit sums), null otherwise; a null entry (a table with
    /// a NaN or an infinity) scans that query's codes one by one.
    /// </summary>
    private static FastScanTable?[]? FastTables(float[][] tables, ProductCodes corpus)
    {
        var pq = corpus.Quantizer;
        if (!FastScan || !corpus.Packed || pq.Subspaces > 257) return null;
        return [.. tables.Select(t => FastScanTable.Quantize(t, pq.Subspaces, pq.Centroids))];
    }

    private static void Check(IReadOnlyList<float[]> queries, ProductCodes corpus, int k, int rescoreMultiplier)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rescoreMultiplier);
        foreach (var q in queries)
            if (q.Length != corpus.Quantizer.Dimension) throw new ArgumentException($"a query has {q.Length} values, the codes {corpus.Quantizer.Dimension}", nameof(queries));
    }

    private static float[][] Tables(IReadOnlyList<float[]> queries, ProductQuantizer pq)
    {
        var tables = new float[queries.Count][];
        for (int i = 0; i < tables.Length; i++) pq.Table(queries[i], tables[i] = new float[pq.Subspaces * pq.Centroids]);
        return tables;
    }

    /// <summary>Hits the first stage keeps: k·multiplier when float rows rescore them, else k.</summary>
    private static int Wanted(int rows, int k, int rescoreMultiplier, FloatRow? floatRows) =>
        (int)Math.Max(1, Math.Min(rows, floatRows is null || rescoreMultiplier == 0 ? k : (long)k * rescoreMultiplier));

    private static Hit[][] Rescore(IReadOnlyList<float[]> queries, Hit[][] candidates, int k, int rescoreMultiplier,
        IReadOnlyList<int>? tieKeys, FloatRow? floatRows) =>
        floatRows is null || rescoreMultiplier == 0
            ? candidates
            : QuantizedSearch.RescoreBy(queries.Count, candidates, k, tieKeys, (qi, row) => TensorPrimitives.Dot(queries[qi], floatRows(row)));
}
