using System.Buffers.Binary;
using Skald.Models.Modules;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Ivf;

/// <summary>
/// The coarse quantizer of an inverted-file (IVF) index, faiss's <c>IndexIVFFlat</c> layout: <see cref="Lists"/>
/// unit centroids from <see cref="KMeans"/>, and the rows stored grouped by their most similar centroid (largest inner
/// product), so list l is the
/// contiguous rows [<see cref="Start"/>(l), <see cref="Start"/>(l + 1)) of the embeddings (and of quantized embeddings,
/// which follow the same row order). A search probes the lists whose centroids are nearest the query
/// (<see cref="Probe"/>) and scores only their rows (<see cref="IvfSearch"/>); probing every list is exact search.
/// A distance index's lists (<see cref="Similarity"/> Euclidean or Manhattan) are Euclidean: centroids are the means
/// of their rows (faiss's <c>IndexIVFFlat</c> with L2, k-means on L2), each row grouped by and each query probing the
/// centroids nearest in Euclidean distance (computed as the largest x·c − ½‖c‖²: <see cref="KMeans.HalfSquaredNorms"/>).
/// A Manhattan index keeps these L2 lists and ranks the rows of the probed lists by their Manhattan distance
/// (<see cref="IvfSearch"/>): k-means under L1 (k-medians) has no GEMM assignment and a median update, and an L2 cell
/// is compact in L1 too (‖v‖₂ ≤ ‖v‖₁ ≤ √d·‖v‖₂), so the rows nearest a query in L1 lie in the lists nearest it in L2
/// about as often; probing every list is exact search either way. The file does not record the similarity: the
/// index's <c>similarity</c> gives it to <see cref="Read"/>.
/// Saved as <c>ivf.bin</c>: 8 bytes "SKALDIVF", int32 lists, int32 dimension, the centroids as float32 [lists × dim]
/// and the list starts as int32 [lists + 1], all little-endian.
/// </summary>
public sealed class InvertedLists
{
    private static ReadOnlySpan<byte> Magic => "SKALDIVF"u8;

    private readonly float[] centroids;
    private readonly int[] starts;
    private readonly float[] bias; // −½‖c‖² per list for Euclidean lists, empty for inner-product ones

    /// <summary>
    /// Wraps centroids [lists × dim] and list starts [lists + 1] (0 first, non-decreasing) of lists grouped by
    /// <paramref name="similarity"/> (<see cref="Similarity"/>).
    /// </summary>
    public InvertedLists(float[] centroids, int[] starts, int dimension, SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        int lists = starts.Length - 1;
        if (lists < 1 || centroids.Length != lists * dimension)
            throw new ArgumentException($"{starts.Length} list starts and {centroids.Length} centroid values do not make lists of {dimension}-d centroids");
        if (starts[0] != 0) throw new ArgumentException("the first list must start at row 0", nameof(starts));
        for (int l = 0; l < lists; l++)
            if (starts[l + 1] < starts[l]) throw new ArgumentException($"list {l} ends before it starts", nameof(starts));
        this.centroids = centroids;
        this.starts = starts;
        Dimension = dimension;
        Similarity = Hnsw.HnswOptions.GraphSimilarity(similarity);
        bias = ByDistance ? HalfSquared(centroids, lists, dimension) : [];
    }

    /// <summary>
    /// What the lists rank by: <see cref="SimilarityFunction.Dot"/>, unit centroids and inner products (a cosine index),
    /// or <see cref="SimilarityFunction.Euclidean"/> / <see cref="SimilarityFunction.Manhattan"/>, mean centroids nearest
    /// in Euclidean distance and the probed rows ranked by the distance (see the class summary).
    /// </summary>
    public SimilarityFunction Similarity { get; }

    /// <summary>Whether the lists are Euclidean (a distance index's: <see cref="Similarity"/> Euclidean or Manhattan).</summary>
    public bool ByDistance => Similarity != SimilarityFunction.Dot;

    /// <summary>Number of lists (centroids).</summary>
    public int Lists => starts.Length - 1;

    /// <summary>Centroid width.</summary>
    public int Dimension { get; }

    /// <summary>Rows in all lists.</summary>
    public int Rows => starts[^1];

    /// <summary>The centroids, row-major [lists × dim].</summary>
    public ReadOnlySpan<float> Centroids => centroids;

    /// <summary>First row of list <paramref name="list"/> (<see cref="Lists"/> gives <see cref="Rows"/>).</summary>
    public int Start(int list) => starts[list];

    /// <summary>The list holding row <paramref name="row"/>.</summary>
    public int ListOf(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row));
        int i = Array.BinarySearch(starts, row);
        if (i < 0) return ~i - 1;
        while (i + 1 < starts.Length && starts[i + 1] == row) i++; // empty lists start where the next one does
        return i;
    }

    /// <summary>
    /// Default list count for <paramref name="rows"/> rows: 4·√rows (faiss's rule of thumb is 4–16·√rows), at most one
    /// list per 39 rows (faiss's least training points per centroid), at least 1.
    /// </summary>
    public static int AutoLists(int rows) => (int)Math.Clamp(Math.Round(4 * Math.Sqrt(rows)), 1, Math.Max(1, rows / 39));

    /// <summary>
    /// Default lists probed per query: a sixteenth of the lists (about 6% of the rows scanned), at least 8 or all of
    /// them (faiss's users rarely go below 8; with few lists each one is a large share of the rows).
    /// </summary>
    public static int AutoProbes(int lists) => Math.Max((lists + 15) / 16, Math.Min(lists, 8));

    /// <summary>
    /// Trains <paramref name="lists"/> centroids on <paramref name="rows"/> and groups the rows by nearest centroid;
    /// <paramref name="order"/>[i] is the input row stored at row i (rows keep their input order within a list).
    /// <paramref name="similarity"/> Euclidean or Manhattan trains Euclidean lists (k-means on L2, see the class summary).
    /// </summary>
    public static InvertedLists Train(IReadOnlyList<float[]> rows, int lists, KMeansOptions? options, out int[] order,
        SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to train lists on", nameof(rows));
        int dim = rows[0].Length;
        bool euclidean = Hnsw.HnswOptions.GraphSimilarity(similarity) != SimilarityFunction.Dot;
        var trained = KMeans.Train(rows, lists, (options ?? new KMeansOptions()) with { Spherical = !euclidean });
        var assignment = AssignRows(rows, trained, lists, dim, euclidean ? HalfSquared(trained, lists, dim) : []);
        return Group(trained, dim, assignment, out order, similarity);
    }

    /// <summary>−½‖cⱼ‖² of each centroid (<see cref="KMeans.HalfSquaredNorms"/>): the Euclidean lists' bias.</summary>
    private static float[] HalfSquared(float[] centroids, int lists, int dim)
    {
        var bias = new float[lists];
        KMeans.HalfSquaredNorms(centroids, lists, dim, bias);
        return bias;
    }

    /// <summary>
    /// Lists with these centroids holding rows of the given lists (<paramref name="assignment"/>[i]: input row i's
    /// list); <paramref name="order"/> as in <see cref="Train"/>, <paramref name="similarity"/> as in the constructor.
    /// </summary>
    public static InvertedLists Group(float[] centroids, int dimension, IReadOnlyList<int> assignment, out int[] order,
        SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        int lists = centroids.Length / dimension;
        var starts = new int[lists + 1];
        foreach (int a in assignment)
        {
            if ((uint)a >= (uint)lists) throw new ArgumentException($"list {a} is not below {lists}", nameof(assignment));
            starts[a + 1]++;
        }
        for (int l = 0; l < lists; l++) starts[l + 1] += starts[l];
        var next = starts[..^1];
        order = new int[assignment.Count];
        for (int i = 0; i < assignment.Count; i++) order[next[assignment[i]]++] = i;
        return new InvertedLists(centroids, starts, dimension, similarity);
    }

    /// <summary>The nearest list of each row (rows of this dimension), by <see cref="Similarity"/>'s measure.</summary>
    public int[] Assign(IReadOnlyList<float[]> rows) => AssignRows(rows, centroids, Lists, Dimension, bias);

    /// <summary>The same centroids with new list sizes (rows regrouped by the caller in list order).</summary>
    public InvertedLists WithSizes(IReadOnlyList<int> sizes)
    {
        if (sizes.Count != Lists) throw new ArgumentException($"{sizes.Count} sizes for {Lists} lists", nameof(sizes));
        var s = new int[Lists + 1];
        for (int l = 0; l < Lists; l++) s[l + 1] = s[l] + sizes[l];
        return new InvertedLists(centroids, s, Dimension, Similarity);
    }

    /// <summary>
    /// The <paramref name="nearest"/>.Length lists whose centroids have the largest inner product with
    /// <paramref name="query"/> (the order rows were assigned by), nearest first, the lower list on a tie; Euclidean
    /// lists add −½‖c‖² to each (the centroids nearest in Euclidean distance).
    /// </summary>
    public void Probe(ReadOnlySpan<float> query, Span<int> nearest)
    {
        if (query.Length != Dimension) throw new ArgumentException($"a query of {query.Length} values for {Dimension}-d lists", nameof(query));
        int p = Math.Min(nearest.Length, Lists);
        var scores = new float[Lists];
        RowDots.Dots(query, centroids, Dimension, scores);
        if (bias.Length > 0) System.Numerics.Tensors.TensorPrimitives.Add(scores, bias, scores);
        var heap = new TopKHeap(p);
        for (int l = 0; l < Lists; l++)
        {
            if (scores[l] >= heap.Threshold) heap.Add(l, scores[l], -l);
        }
        var best = heap.ToSortedArray();
        for (int i = 0; i < best.Length; i++) nearest[i] = best[i].Index;
    }

    /// <summary>Writes <c>ivf.bin</c>'s bytes (the class summary gives the layout).</summary>
    public void Write(Stream stream)
    {
        Span<byte> header = stackalloc byte[16];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Lists);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Dimension);
        stream.Write(header);
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(centroids.AsSpan()));
        stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(starts.AsSpan()));
    }

    /// <summary>
    /// Reads <paramref name="path"/>, checking it against the index's dimension and rows; a damaged file throws
    /// <see cref="EvaluationException"/> naming it. <paramref name="similarity"/>: what the lists were grouped by (the index's).
    /// </summary>
    public static InvertedLists Read(string path, int dimension, int rows, SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (an IVF index; index damaged?)");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 16 || !bytes.AsSpan(0, 8).SequenceEqual(Magic)) throw new EvaluationException($"{path}: not a Skald IVF file");
        int lists = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)), dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        if (dim != dimension) throw new EvaluationException($"{path}: {dim}-d centroids, the index holds {dimension}-d vectors");
        if (lists < 1 || bytes.LongLength != 16 + 4L * lists * dim + 4L * (lists + 1))
            throw new EvaluationException($"{path}: {bytes.Length} bytes do not hold {lists} lists of {dim}-d centroids");
        var c = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(16, 4 * lists * dim)).ToArray();
        var s = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes.AsSpan(16 + 4 * lists * dim)).ToArray();
        if (s[^1] != rows) throw new EvaluationException($"{path}: the lists hold {s[^1]} rows, the index {rows}");
        try
        {
            return new InvertedLists(c, s, dim, similarity);
        }
        catch (ArgumentException e)
        {
            throw new EvaluationException($"{path}: {e.Message}");
        }
    }

    /// <summary>Nearest centroids of rows held as separate arrays, copied through the GEMM in blocks.</summary>
    private static int[] AssignRows(IReadOnlyList<float[]> rows, ReadOnlySpan<float> centroids, int lists, int dim, ReadOnlySpan<float> bias)
    {
        const int Block = 8192;
        var assignment = new int[rows.Count];
        var buffer = new float[Math.Min(Block, rows.Count) * dim];
        for (int start = 0; start < rows.Count; start += Block)
        {
            int m = Math.Min(Block, rows.Count - start);
            for (int i = 0; i < m; i++)
            {
                var r = rows[start + i];
                if (r.Length != dim) throw new ArgumentException($"row {start + i} has {r.Length} values, expected {dim}", nameof(rows));
                r.CopyTo(buffer, i * dim);
            }
            KMeans.Assign(buffer.AsSpan(0, m * dim), m, dim, centroids, lists, assignment.AsSpan(start, m), bias: bias);
        }
        return assignment;
    }
}
