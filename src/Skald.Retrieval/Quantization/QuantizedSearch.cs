using System.Numerics.Tensors;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Exact top-k search over quantized embeddings, as sentence-transformers' <c>semantic_search_faiss</c> /
/// <c>semantic_search_usearch</c> with exact search: the float queries are quantized like the corpus, every corpus row
/// is scored in its own format (binary / ubinary: the ±1 dot product of the sign bits, dimension − 2·Hamming
/// distance, the same order as faiss's Hamming search; int8 / uint8: the integer dot product of the levels), and with
/// rescoring the best k·multiplier rows are scored again by the float query against the rows' quantized values
/// (int8 / uint8 levels, binary bits as 0 or 1, as sentence-transformers does) or, when the caller has them, against
/// the rows' float embeddings (<see cref="FloatRow"/>: full precision for the few candidates, e.g. read from a
/// memory-mapped file), and the best k kept. Ties go to the higher tie key, then the lower row, as
/// <see cref="ExactSearch"/>. The corpus is scanned in stripes claimed by the cores, each with its own heaps.
/// </summary>
public static class QuantizedSearch
{
    /// <summary>Rows a worker claims at once.</summary>
    private const int Claim = 4096;

    /// <summary>
    /// Top-<paramref name="k"/> rows of <paramref name="corpus"/> for each float query, best first.
    /// </summary>
    /// <param name="queries">Float query embeddings (normalised like the corpus was before quantizing).</param>
    /// <param name="corpus">The quantized corpus (float32 is searched by <see cref="ExactSearch"/>).</param>
    /// <param name="k">Hits per query.</param>
    /// <param name="rescoreMultiplier">0: the quantized scores are final; m ≥ 1: rescore the best k·m rows.</param>
    /// <param name="tieKeys">Optional tie-breaker per row (higher wins on equal scores).</param>
    /// <param name="floatRows">Rescore against these float rows instead of the quantized values (null: quantized).</param>
    public static Hit[][] TopK(IReadOnlyList<float[]> queries, QuantizedEmbeddings corpus, int k, int rescoreMultiplier,
        IReadOnlyList<int>? tieKeys = null, FloatRow? floatRows = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rescoreMultiplier);
        if (corpus.Rows == 0 || queries.Count == 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        foreach (var q in queries)
            if (q.Length != corpus.Dimension) throw new ArgumentException($"a query has {q.Length} values, the corpus {corpus.Dimension}");
        if (corpus.Precision == EmbeddingPrecision.Float32)
        {
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(corpus.Data.AsSpan(0, corpus.Rows * corpus.RowBytes)).ToArray();
            return ExactSearch.TopK(queries, floats, corpus.Rows, corpus.Dimension, k, tieKeys);
        }
        int first = (int)Math.Min(corpus.Rows, (long)k * Math.Max(1, rescoreMultiplier));
        var quantizedQueries = EmbeddingQuantizer.Quantize(queries, corpus.Precision, corpus.Ranges);
        var candidates = FirstStage(quantizedQueries, corpus, first, tieKeys);
        return rescoreMultiplier == 0 ? candidates : Rescore(queries, corpus, candidates, k, tieKeys, floatRows);
    }

    /// <summary>
    /// The best <paramref name="k"/> of each query's <paramref name="candidates"/> (rows of <paramref name="corpus"/>)
    /// scored again by the float query: against the rows' quantized values, or their float rows when
    /// <paramref name="floatRows"/> is given; best first, ties as <see cref="TopK"/>.
    /// </summary>
    public static Hit[][] Rescore(IReadOnlyList<float[]> queries, QuantizedEmbeddings corpus, IReadOnlyList<IReadOnlyList<Hit>> candidates,
        int k, IReadOnlyList<int>? tieKeys = null, FloatRow? floatRows = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (candidates.Count != queries.Count) throw new ArgumentException($"{candidates.Count} candidate lists for {queries.Count} queries");
        return RescoreBy(queries.Count, candidates, k, tieKeys, (qi, row) => floatRows is null
            ? QuantizedDots.Rescore(queries[qi], corpus.Row(row), corpus.Precision)
            : TensorPrimitives.Dot(queries[qi], floatRows(row)));
    }

    /// <summary>
    /// The best <paramref name="k"/> of each query's <paramref name="candidates"/> by <paramref name="score"/>(query,
    /// row), best first, ties to the higher tie key, then the lower row; queries in parallel.
    /// </summary>
    internal static Hit[][] RescoreBy(int queries, IReadOnlyList<IReadOnlyList<Hit>> candidates, int k, IReadOnlyList<int>? tieKeys,
        Func<int, int, float> score)
    {
        var result = new Hit[queries][];
        Parallel.For(0, queries, qi =>
        {
            var heap = new TopKHeap(Math.Max(1, Math.Min(k, candidates[qi].Count)));
            foreach (var hit in candidates[qi]) heap.Add(hit.Index, score(qi, hit.Index), tieKeys is null ? -hit.Index : tieKeys[hit.Index]);
            result[qi] = heap.ToSortedArray();
        });
        return result;
    }

    /// <summary>
    /// The best <paramref name="k"/> rows per quantized query by the format's own score: more than
    /// <see cref="ExactSearch.ScanQueries"/> int8 / uint8 queries by integer products (<see cref="IntegerLevelSearch"/>,
    /// AVX-VNNI; <paramref name="integerProducts"/> false skips it, for tests) or as floats through the GEMM, others
    /// scanned row by row; the same hits either way.
    /// </summary>
    internal static Hit[][] FirstStage(QuantizedEmbeddings queries, QuantizedEmbeddings corpus, int k, IReadOnlyList<int>? tieKeys,
        bool integerProducts = true)
    {
        int nq = queries.Rows, rows = corpus.Rows;
        if (nq > ExactSearch.ScanQueries && integerProducts && IntegerLevelSearch.Applicable(corpus.Precision, corpus.Dimension))
            return IntegerLevelSearch.TopK(queries, corpus, k, tieKeys);
        if (nq > ExactSearch.ScanQueries && ExactInFloat(corpus.Precision, corpus.Dimension)) return LevelsByGemm(queries, corpus, k, tieKeys);
        if (nq >= QueryGroup && EmbeddingQuantizer.IsBinary(corpus.Precision) && corpus.RowBytes % 8 == 0)
            return Striped<object?>(nq, rows, k, () => null, (_, r0, r1, heaps) =>
            {
                int q = 0;
                for (; q + QueryGroup <= nq; q += QueryGroup) ScanBitsGroup(queries, q, corpus, r0, r1, heaps, tieKeys);
                for (; q < nq; q++) ScanBits(queries.Row(q), corpus, r0, r1, heaps[q], tieKeys);
            });
        return Striped(nq, rows, k, (i, r0, r1, heap) => ScanRows(queries.Row(i), corpus, r0, r1, heap, tieKeys));
    }

    /// <summary>
    /// Runs <paramref name="scan"/>(query, first row, end row, heap) over rows [0, <paramref name="rows"/>) for each of
    /// <paramref name="queries"/> queries: the cores claim stripes of rows, each scanning them for every query into its
    /// own heaps of <paramref name="k"/>, merged at the end (the hits do not depend on which core scanned a stripe:
    /// <see cref="TopKHeap"/> orders them totally). Stripes are 4,096 rows; rows / 4,096 workers (at least one, at most
    /// <see cref="Skald.Tensors.Parallelism.MaxThreads"/>), so an index below 8,192 rows is scanned on the calling
    /// core's one worker: a thread's start and its heaps' merge would cost more than the few thousand rows it takes over.
    /// </summary>
    internal static Hit[][] Striped(int queries, int rows, int k, Action<int, int, int, TopKHeap> scan) =>
        Striped<object?>(queries, rows, k, () => null, (_, r0, r1, heaps) =>
        {
            for (int i = 0; i < heaps.Length; i++) scan(i, r0, r1, heaps[i]);
        });

    /// <summary>
    /// As <see cref="Striped(int, int, int, Action{int, int, int, TopKHeap})"/> with the whole stripe handed to
    /// <paramref name="scan"/>(worker's state, first row, end row, the worker's heap per query) at once; each worker
    /// makes its state (scratch buffers) once with <paramref name="state"/>.
    /// </summary>
    internal static Hit[][] Striped<TState>(int queries, int rows, int k, Func<TState> state, Action<TState, int, int, TopKHeap[]> scan)
    {
        int nq = queries;
        int workers = Math.Clamp(rows / Claim, 1, Skald.Tensors.Parallelism.MaxThreads);
        var local = new TopKHeap[workers][];
        for (int w = 0; w < workers; w++)
        {
            local[w] = TopKHeap.Many(nq, k);
        }
        var next = new int[1];
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var own = state();
            int r0;
            while ((r0 = Interlocked.Add(ref next[0], Claim) - Claim) < rows)
                scan(own, r0, Math.Min(rows, r0 + Claim), local[w]);
        });
        var merged = new Hit[nq][];
        for (int i = 0; i < nq; i++)
        {
            var heap = new TopKHeap(k);
            for (int w = 0; w < workers; w++) local[w][i].AddAllTo(heap);
            merged[i] = heap.ToSortedArray();
        }
        return merged;
    }

    /// <summary>
    /// Whether every partial sum of an int8 / uint8 dot product is an integer below 2^24, so float32 arithmetic gives
    /// it exactly: |a·b| ≤ 16,384 for int8 (dimension ≤ 1,024), ≤ 65,025 for uint8 (dimension ≤ 258).
    /// </summary>
    private static bool ExactInFloat(EmbeddingPrecision precision, int dimension) => precision switch
    {
        EmbeddingPrecision.Int8 => dimension <= 1024,
        EmbeddingPrecision.Uint8 => dimension <= 258,
        _ => false,
    };

    /// <summary>
    /// Many queries over int8 / uint8 levels: the levels as floats through <see cref="ExactSearch"/>'s GEMM path, one
    /// chunk converted at a time; the scores are the integer dot products exactly (<see cref="ExactInFloat"/>), so the
    /// hits equal the scan's.
    /// </summary>
    private static Hit[][] LevelsByGemm(QuantizedEmbeddings queries, QuantizedEmbeddings corpus, int k, IReadOnlyList<int>? tieKeys)
    {
        int dim = corpus.Dimension;
        bool signed = corpus.Precision == EmbeddingPrecision.Int8;
        float[] Levels(ReadOnlySpan<byte> bytes, float[] into)
        {
            if (signed) TensorPrimitives.ConvertChecked<sbyte, float>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(bytes), into);
            else TensorPrimitives.ConvertChecked<byte, float>(bytes, into);
            return into;
        }
        var q = new float[queries.Rows][];
        for (int i = 0; i < q.Length; i++) q[i] = Levels(queries.Row(i), new float[dim]);
        var buffer = new float[Math.Min(ExactSearch.ChunkRows, corpus.Rows) * dim];
        return ExactSearch.TopK(q, corpus.Rows, dim, (start, count) =>
        {
            Levels(corpus.Data.AsSpan(start * corpus.RowBytes, count * corpus.RowBytes), buffer);
            return buffer.AsMemory(0, count * dim);
        }, k, tieKeys);
    }

    /// <summary>
    /// Rows [r0, r1) of <paramref name="corpus"/> scored in its own format against one quantized query and offered to
    /// <paramref name="heap"/> (binary rows of whole 8-byte words by <see cref="ScanBits"/>, others by <see cref="Score"/>).
    /// </summary>
    internal static void ScanRows(ReadOnlySpan<byte> query, QuantizedEmbeddings corpus, int r0, int r1, TopKHeap heap,
        IReadOnlyList<int>? tieKeys)
    {
        if (EmbeddingQuantizer.IsBinary(corpus.Precision) && corpus.RowBytes % 8 == 0)
        {
            ScanBits(query, corpus, r0, r1, heap, tieKeys);
            return;
        }
        for (int r = r0; r < r1; r++)
        {
            float score = Score(query, corpus.Row(r), corpus.Precision, corpus.Dimension);
            if (score < heap.Threshold) continue;
            heap.Add(r, score, tieKeys is null ? -r : tieKeys[r]);
        }
    }

    /// <summary>
    /// Rows [r0, r1) of a binary corpus whose rows are whole 8-byte words against one query: popcount of the XOR word
    /// by word, a row skipped as soon as it cannot beat the heap's worst (its distance bound is checked once per row),
    /// the score dimension − 2·distance as <see cref="Score"/> gives it.
    /// </summary>
    private static unsafe void ScanBits(ReadOnlySpan<byte> query, QuantizedEmbeddings corpus, int r0, int r1, TopKHeap heap,
        IReadOnlyList<int>? tieKeys)
    {
        int words = corpus.RowBytes / 8, dim = corpus.Dimension;
        fixed (byte* qb = query, cb = corpus.Data)
        {
            ulong* q = (ulong*)qb;
            ulong* row = (ulong*)(cb + (long)r0 * corpus.RowBytes);
            for (int r = r0; r < r1; r++, row += words)
            {
                int distance = 0;
                for (int w = 0; w < words; w++) distance += System.Numerics.BitOperations.PopCount(row[w] ^ q[w]);
                float score = dim - 2 * distance;
                if (score < heap.Threshold) continue;
                heap.Add(r, score, tieKeys is null ? -r : tieKeys[r]);
            }
        }
    }

    /// <summary>Binary queries scanned together by <see cref="ScanBitsGroup"/>.</summary>
    private const int QueryGroup = 4;

    /// <summary>
    /// <see cref="ScanBits"/> for the <see cref="QueryGroup"/> queries from <paramref name="q0"/> at once: each word of a
    /// row is loaded once for their four XORs and popcounts (one pass over the stripe instead of four, four
    /// independent sums in flight), each score offered to its query's heap as <see cref="ScanBits"/> offers it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ScanBitsGroup(QuantizedEmbeddings queries, int q0, QuantizedEmbeddings corpus, int r0, int r1,
        TopKHeap[] heaps, IReadOnlyList<int>? tieKeys)
    {
        int words = corpus.RowBytes / 8, dim = corpus.Dimension;
        TopKHeap h0 = heaps[q0], h1 = heaps[q0 + 1], h2 = heaps[q0 + 2], h3 = heaps[q0 + 3];
        fixed (byte* qb = queries.Data, cb = corpus.Data)
        {
            ulong* a = (ulong*)(qb + (long)q0 * corpus.RowBytes), b = a + words, c = b + words, d = c + words;
            ulong* row = (ulong*)(cb + (long)r0 * corpus.RowBytes);
            for (int r = r0; r < r1; r++, row += words)
            {
                int d0 = 0, d1 = 0, d2 = 0, d3 = 0;
                for (int w = 0; w < words; w++)
                {
                    ulong x = row[w];
                    d0 += System.Numerics.BitOperations.PopCount(x ^ a[w]);
                    d1 += System.Numerics.BitOperations.PopCount(x ^ b[w]);
                    d2 += System.Numerics.BitOperations.PopCount(x ^ c[w]);
                    d3 += System.Numerics.BitOperations.PopCount(x ^ d[w]);
                }
                int key = tieKeys is null ? -r : tieKeys[r];
                float s0 = dim - 2 * d0, s1 = dim - 2 * d1, s2 = dim - 2 * d2, s3 = dim - 2 * d3;
                if (s0 >= h0.Threshold) h0.Add(r, s0, key);
                if (s1 >= h1.Threshold) h1.Add(r, s1, key);
                if (s2 >= h2.Threshold) h2.Add(r, s2, key);
                if (s3 >= h3.Threshold) h3.Add(r, s3, key);
            }
        }
    }

    /// <summary>A quantized row's score against a quantized query (higher is more similar).</summary>
    internal static float Score(ReadOnlySpan<byte> query, ReadOnlySpan<byte> row, EmbeddingPrecision precision, int dimension) =>
        precision switch
        {
            EmbeddingPrecision.Int8 => QuantizedDots.DotInt8(query, row),
            EmbeddingPrecision.Uint8 => QuantizedDots.DotUint8(query, row),
            _ => dimension - 2 * QuantizedDots.Hamming(query, row),
        };
}
