using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Skald.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Sparse;

/// <summary>
/// An inverted index over sparse embeddings (a SPLADE model's): for every vocabulary entry the documents holding it
/// and their weights, in compressed rows ([V + 1] starts, then document ids and weights). A query's score for document d
/// is the dot product Σ_t q[t]·d[t] over the query's entries, accumulated posting list by posting list; exact top-k
/// then picks from every document, so the ranking equals a dense dot-product search of the same vectors (documents
/// sharing no entry score 0). Work per query is the length of its terms' lists, not the corpus size.
/// An index folder keeps it on disk (<see cref="Write"/>, <c>sparse.postings</c>): the magic <c>SKALDSPI</c>, rows and
/// dimension (int32), entries (int64), each row's byte offset in <c>embeddings.sparse</c> (int64 [rows + 1], the last
/// its length), the term starts (int32 [V + 1]), document ids (int32) and weights (float32), little-endian;
/// <see cref="Open"/> maps it and checks the offsets and term starts (8 bytes a row, 4 a term); a search reads only its
/// terms' lists, checking each document id as it goes (in range, ascending within a list).
/// </summary>
public sealed class SparseIndex : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "SKALDSPI"u8;
    private const int HeaderBytes = 24;

    private readonly ReadOnlyMemory<int> starts;    // [V + 1]
    private readonly ReadOnlyMemory<int> documents; // [nnz], ascending within a list
    private readonly ReadOnlyMemory<float> weights; // [nnz]
    private readonly MappedFile? mapping;
    private readonly string? path;

    private SparseIndex(int count, ReadOnlyMemory<int> starts, ReadOnlyMemory<int> documents, ReadOnlyMemory<float> weights,
        ReadOnlyMemory<long> rowOffsets = default, MappedFile? mapping = null, string? path = null)
    {
        Count = count;
        this.starts = starts;
        this.documents = documents;
        this.weights = weights;
        RowOffsets = rowOffsets;
        this.mapping = mapping;
        this.path = path;
    }

    /// <summary>Each row's byte offset in <c>embeddings.sparse</c> [rows + 1] when opened from a file (else empty).</summary>
    internal ReadOnlyMemory<long> RowOffsets { get; }

    /// <summary>Documents indexed.</summary>
    public int Count { get; }

    /// <summary>Vocabulary size (the embedding width).</summary>
    public int Dimension => starts.Length - 1;

    /// <summary>Stored (document, term) weights.</summary>
    public long Entries => documents.Length;

    /// <summary>Indexes <paramref name="docs"/> (document i is row i) over a vocabulary of <paramref name="dimension"/>.</summary>
    public static SparseIndex Build(IReadOnlyList<SparseEmbedding> docs, int dimension)
    {
        ArgumentNullException.ThrowIfNull(docs);
        var starts = new int[dimension + 1];
        foreach (var d in docs)
        {
            foreach (int t in d.Indices)
            {
                if ((uint)t >= (uint)dimension) throw new ArgumentOutOfRangeException(nameof(docs), $"term {t} is outside the vocabulary of {dimension}");
                starts[t + 1]++;
            }
        }
        for (int t = 0; t < dimension; t++) starts[t + 1] += starts[t];
        var fill = starts[..^1];
        var ids = new int[starts[dimension]];
        var values = new float[ids.Length];
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            for (int j = 0; j < d.Count; j++)
            {
                int slot = fill[d.Indices[j]]++;
                ids[slot] = i;
                values[slot] = d.Values[j];
            }
        }
        return new SparseIndex(docs.Count, starts, ids, values);
    }

    /// <summary>
    /// The <paramref name="k"/> best documents for each query (dot product; ties by <paramref name="tie"/>, higher key
    /// first, as <see cref="ExactSearch"/> breaks them), queries in parallel.
    /// </summary>
    public Hit[][] TopK(IReadOnlyList<SparseEmbedding> queries, int k, IReadOnlyList<int> tie)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (tie.Count != Count) throw new ArgumentException($"{tie.Count} tie keys for {Count} documents", nameof(tie));
        var result = new Hit[queries.Count][];
        k = Math.Min(k, Count);
        if (k <= 0) return [.. queries.Select(_ => Array.Empty<Hit>())];
        try
        {
            Parallel.For(0, queries.Count, () => new float[Count], (q, _, scores) =>
            {
                Array.Clear(scores);
                Accumulate(queries[q], scores);
                var heap = new TopKHeap(k);
                for (int d = 0; d < scores.Length; d++)
                {
                    if (scores[d] >= heap.Threshold) heap.Add(d, scores[d], tie[d]);
                }
                result[q] = heap.ToSortedArray();
                return scores;
            }, _ => { });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is EvaluationException) is { } damage)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(damage); // a damaged file: its one line, not the wrapper
        }
        return result;
    }

    /// <summary>
    /// scores[d] += Σ_t q[t]·d[t] over the query's entries (a posting naming no document, or not after its list's previous
    /// one, throws <see cref="EvaluationException"/>).
    /// </summary>
    public void Accumulate(SparseEmbedding query, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(query);
        var start = starts.Span;
        var ids = documents.Span;
        var values = weights.Span;
        for (int j = 0; j < query.Count; j++)
        {
            int t = query.Indices[j];
            if ((uint)t >= (uint)Dimension) continue; // a term no document can hold
            float w = query.Values[j];
            int previous = -1;
            for (int p = start[t]; p < start[t + 1]; p++)
            {
                int d = ids[p];
                if ((uint)d >= (uint)scores.Length || d <= previous)
                    throw new EvaluationException($"{path ?? "sparse index"}: posting {p} names document {d} of {Count}" +
                        (d <= previous && d >= 0 ? $" after {previous}" : "") + " (index damaged?)");
                scores[d] += w * values[p];
                previous = d;
            }
        }
    }

    /// <summary>Writes <c>sparse.postings</c> (the class summary gives the layout) with the rows' <paramref name="rowOffsets"/> [rows + 1].</summary>
    public void Write(Stream stream, ReadOnlySpan<long> rowOffsets)
    {
        if (rowOffsets.Length != Count + 1) throw new ArgumentException($"{rowOffsets.Length} row offsets for {Count} rows", nameof(rowOffsets));
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Count);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Dimension);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], Entries);
        stream.Write(header);
        WriteAll(stream, rowOffsets);
        WriteAll(stream, starts.Span);
        WriteAll(stream, documents.Span);
        WriteAll(stream, weights.Span);
    }

    /// <summary>Writes <paramref name="values"/> in chunks (one byte span holds at most 2 GB).</summary>
    private static void WriteAll<T>(Stream stream, ReadOnlySpan<T> values) where T : unmanaged
    {
        const int Chunk = 1 << 26;
        for (int i = 0; i < values.Length; i += Chunk) stream.Write(MemoryMarshal.AsBytes(values.Slice(i, Math.Min(Chunk, values.Length - i))));
    }

    /// <summary>
    /// Maps <paramref name="file"/> for an index of <paramref name="rows"/> rows of width <paramref name="dimension"/>;
    /// the header, length, term starts and row offsets are checked (damage throws <see cref="EvaluationException"/>
    /// naming the file), the postings when a search reads them.
    /// </summary>
    public static SparseIndex Open(string file, int rows, int dimension)
    {
        if (!File.Exists(file)) throw new EvaluationException($"{file}: missing (a sparse index; index damaged?)");
        var map = new MappedFile(file);
        try
        {
            if (map.Length < HeaderBytes || !map.Bytes(0, 8).SequenceEqual(Magic)) throw new EvaluationException($"{file}: not a Skald sparse postings file");
            int stored = map.Read<int>(8), width = map.Read<int>(12);
            long entries = map.Read<long>(16);
            if (stored != rows || width != dimension)
                throw new EvaluationException($"{file}: {stored} rows of width {width}, the manifest {rows} of {dimension}");
            long offsetsAt = HeaderBytes, startsAt = offsetsAt + 8L * (rows + 1), idsAt = startsAt + 4L * (dimension + 1);
            if (entries < 0 || entries > int.MaxValue || map.Length != idsAt + 8 * entries)
                throw new EvaluationException($"{file}: {map.Length} bytes do not hold {entries} postings of {rows} rows over {dimension} terms");
            var offsets = map.Memory<long>(offsetsAt, rows + 1);
            var starts = map.Memory<int>(startsAt, dimension + 1);
            var s = starts.Span;
            if (s[0] != 0 || s[dimension] != entries) throw new EvaluationException($"{file}: term starts run from {s[0]} to {s[dimension]}, not 0 to {entries}");
            for (int t = 0; t < dimension; t++)
                if (s[t + 1] < s[t]) throw new EvaluationException($"{file}: term {t}'s postings end before they start");
            var o = offsets.Span;
            for (int r = 0; r < rows; r++)
                if (o[r] < 0 || o[r + 1] < o[r] || o[r + 1] - o[r] < 4) throw new EvaluationException($"{file}: row {r}'s offset {o[r]} is not before row {r + 1}'s");
            // embeddings.sparse holds a 16-byte header, then per row a count and 8 bytes an entry: as many as the postings.
            if (o[rows] - SparseRows.HeaderBytes - 4L * rows != 8 * entries)
                throw new EvaluationException($"{file}: its rows hold {(o[rows] - SparseRows.HeaderBytes - 4L * rows) / 8} entries, its postings {entries}");
            int n = (int)entries;
            return new SparseIndex(rows, starts, map.Memory<int>(idsAt, n), map.Memory<float>(idsAt + 4L * n, n), offsets, map, file);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => mapping?.Dispose();

    /// <summary>Throws <see cref="EvaluationException"/> when the mapped postings file was cut shorter since it was opened (<see cref="MappedFile.ThrowIfCut"/>).</summary>
    internal void ThrowIfCut() => mapping?.ThrowIfCut();
}
