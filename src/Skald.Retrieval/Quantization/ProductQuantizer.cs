using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;
using Skald.Models.Modules;
using Skald.Retrieval.Ivf;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// A product quantizer (Jégou, Douze and Schmid 2011; faiss's <c>ProductQuantizer</c>, faiss/impl/ProductQuantizer.cpp
/// at https://github.com/facebookresearch/faiss/blob/02dbb4e42f49aa2ce57cd78977b0e47a11f7cb91/faiss/impl/ProductQuantizer.cpp):
/// a D-dimensional row is cut into <see cref="Subspaces"/> (M) sub-vectors of d = D / M values, and each sub-vector is
/// replaced by the index of its nearest centroid (Euclidean) among the <see cref="Centroids"/> (K ≤ 256) of that
/// subspace's codebook, one byte. Codebooks are trained by Euclidean k-means (<see cref="KMeans"/> with
/// <see cref="KMeansOptions.Spherical"/> off) on one seeded sample of the rows, subspace by subspace.
/// A float query q scores a code c without decoding it (asymmetric distance computation, faiss's inner-product table):
/// q · x̂ = Σₘ qₘ · C[m][cₘ], so per query a table T[m][j] = qₘ · C[m][j] [M × K] is computed once and a row costs M
/// lookups (<see cref="Table"/>, <see cref="Score"/>). In an IVF index the codes hold each row's residual from its
/// list's centroid (faiss's <c>IndexIVFPQ</c> with <c>by_residual</c>), and a row scores q · c_list + Σ T.
/// With a rotation (<see cref="Rotation"/>, OPQ: <see cref="ProductQuantizerOptions.RotationRounds"/>), the codebooks
/// quantize the <see cref="CodeDimension"/> (D')-d y = A·x (A [D' × D] with orthonormal rows or columns, trained by
/// <see cref="OpqRotation"/>; square unless <see cref="ProductQuantizerOptions.RotationDimension"/> is set):
/// <see cref="Encode"/> turns the rows, <see cref="Table"/> the query (q·Aᵀŷ = (A·q)·ŷ) and <see cref="Decode"/> turns
/// the reconstruction back by Aᵀ. Saved as <c>pq.bin</c>: 8 bytes "SKALDPQ1", int32 dimension, int32 M, int32 K, the
/// codebooks as float32 [M × K × d], little-endian; with a square rotation the magic is "SKALDPQ2" and A [D × D]
/// (row-major float32) follows; with a D' ≠ D one "SKALDPQ3", int32 D' after K, the codebooks [M × K × D'/M], then A [D' × D].
/// </summary>
public sealed class ProductQuantizer
{
    private static ReadOnlySpan<byte> Magic => "SKALDPQ1"u8;

    private static ReadOnlySpan<byte> RotatedMagic => "SKALDPQ2"u8;

    private static ReadOnlySpan<byte> ReshapedMagic => "SKALDPQ3"u8;

    /// <summary>Rows encoded per GEMM block.</summary>
    private const int EncodeBlock = 1024;

    private readonly float[] codebooks; // [M, K, d]
    private readonly float[] bias;      // [M, K] −½‖C[m][j]‖²
    private readonly float[]? rotation; // [D', D] row-major: the codebooks quantize A·x

    [ThreadStatic] private static float[]? turnedRows;

    /// <summary>
    /// Wraps codebooks [<paramref name="subspaces"/> × <paramref name="centroids"/> × D' / subspaces], which quantize
    /// <paramref name="rotation"/>·x when a rotation [D' × dimension] (row-major, orthonormal rows or columns) is given,
    /// the rows themselves (D' = dimension) when not; D' is the codebooks' width.
    /// </summary>
    public ProductQuantizer(int dimension, int subspaces, int centroids, float[] codebooks, float[]? rotation = null)
    {
        if (centroids is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(centroids), centroids, "a byte code needs 1 to 256 centroids");
        int codeDim = rotation is null ? dimension : codebooks.Length / centroids;
        if (subspaces < 1 || codeDim < 1 || codeDim % subspaces != 0)
            throw new ArgumentException($"{codeDim} dimensions do not split into {subspaces} sub-vectors");
        if (codebooks.Length != codeDim * centroids)
            throw new ArgumentException($"{subspaces} codebooks of {centroids} centroids of {codeDim / subspaces} values need {codeDim * centroids} values, got {codebooks.Length}");
        Dimension = dimension;
        CodeDimension = codeDim;
        Subspaces = subspaces;
        Centroids = centroids;
        SubDimension = codeDim / subspaces;
        if (rotation is not null && rotation.Length != codeDim * dimension)
            throw new ArgumentException($"a rotation of {dimension}-d rows to {codeDim} needs {codeDim * dimension} values, got {rotation.Length}", nameof(rotation));
        this.codebooks = codebooks;
        this.rotation = rotation;
        bias = new float[subspaces * centroids];
        for (int m = 0; m < subspaces; m++)
            KMeans.HalfSquaredNorms(Codebook(m), centroids, SubDimension, bias.AsSpan(m * centroids, centroids));
    }

    /// <summary>Row width D (of the rows encoded and the queries).</summary>
    public int Dimension { get; }

    /// <summary>Width D' of what the codebooks quantize: D, or the rows of an OPQ matrix that changes the width.</summary>
    public int CodeDimension { get; }

    /// <summary>Sub-vectors per row (M): bytes per code.</summary>
    public int Subspaces { get; }

    /// <summary>Centroids per subspace (K).</summary>
    public int Centroids { get; }

    /// <summary>Values per sub-vector (d = D' / M).</summary>
    public int SubDimension { get; }

    /// <summary>The rotation A [D' × D] (row-major) the codebooks quantize A·x under; empty when there is none.</summary>
    public ReadOnlySpan<float> Rotation => rotation;

    /// <summary>Whether the codebooks quantize rotated rows (OPQ).</summary>
    public bool Rotated => rotation is not null;

    /// <summary>Subspace <paramref name="m"/>'s codebook [K × d].</summary>
    public ReadOnlySpan<float> Codebook(int m) => codebooks.AsSpan(m * Centroids * SubDimension, Centroids * SubDimension);

    /// <summary>
    /// Trains codebooks on <paramref name="rows"/> (all of one width): one seeded sample of at most
    /// K·<see cref="ProductQuantizerOptions.PointsPerCentroid"/> rows, K = min(2^bits, rows), and for each subspace
    /// Euclidean Lloyd iterations from K distinct sample rows drawn by the same generator. With
    /// <paramref name="lists"/> (the rows in the lists' order) the codebooks are trained on the rows' residuals from their
    /// lists' centroids, as <see cref="ProductCodes.Encode"/> encodes them. With
    /// <see cref="ProductQuantizerOptions.RotationRounds"/> the sample is drawn longer, to at least
    /// <see cref="OpqRotation.SampleRows"/> rows (faiss's OPQ sample; the codebooks' rows are its first), trains an OPQ
    /// rotation (<see cref="OpqRotation"/>, same generator), and the codebooks are then trained on the rotated sample.
    /// </summary>
    public static ProductQuantizer Train(IReadOnlyList<float[]> rows, ProductQuantizerOptions options, InvertedLists? lists = null)
    {
        if (rows.Count == 0) throw new ArgumentException("no rows to train a product quantizer on", nameof(rows));
        int dim = rows[0].Length;
        options.Check(dim);
        int m = options.Subspaces, codeDim = options.CodeDimension(dim), d = codeDim / m, k = Math.Min(1 << options.Bits, rows.Count);
        var random = new Random(options.Seed);
        int n = (int)Math.Min(rows.Count, (long)k * options.PointsPerCentroid);
        // OPQ draws its own sample, faiss's max_train_points (the codebooks' rows come first: the sample's first n)
        int drawn = options.RotationRounds > 0 ? Math.Max(n, Math.Min(rows.Count, OpqRotation.SampleRows)) : n;
        int[] sample = Enumerable.Range(0, rows.Count).ToArray();
        for (int i = 0; i < drawn; i++)
        {
            int j = random.Next(i, rows.Count);
            (sample[i], sample[j]) = (sample[j], sample[i]);
        }
        if (lists is not null && lists.Rows != rows.Count) throw new ArgumentException($"the lists hold {lists.Rows} rows, got {rows.Count}", nameof(lists));
        int[] listOf = lists is null ? [] : [.. sample.Take(drawn).Select(lists.ListOf)];
        // Sample row i's values [start, start + count) (its residual with lists) into `into`.
        void Take(int i, int start, int count, Span<float> into)
        {
            var row = rows[sample[i]];
            if (row.Length != dim) throw new ArgumentException($"row {sample[i]} has {row.Length} values, expected {dim}", nameof(rows));
            if (lists is null) row.AsSpan(start, count).CopyTo(into);
            else TensorPrimitives.Subtract(row.AsSpan(start, count), lists.Centroids.Slice(listOf[i] * dim + start, count), into);
        }
        float[]? rotation = null, rotated = null;
        if (options.RotationRounds > 0)
        {
            var whole = new float[(long)drawn * dim];
            for (int i = 0; i < drawn; i++) Take(i, 0, dim, whole.AsSpan((int)((long)i * dim), dim));
            rotation = OpqRotation.Train(whole, drawn, dim, codeDim, m, k, options.RotationRounds, random, out rotated, options.Start);
        }
        var slice = new float[(long)n * d];
        var codebooks = new float[codeDim * k];
        var clustering = new KMeansOptions { Iterations = options.Iterations, Spherical = false };
        for (int s = 0; s < m; s++)
        {
            for (int i = 0; i < n; i++)
            {
                if (rotated is null) Take(i, s * d, d, slice.AsSpan(i * d, d));
                else rotated.AsSpan((int)((long)i * codeDim + s * d), d).CopyTo(slice.AsSpan(i * d, d));
            }
            KMeans.TrainOn(slice, n, d, k, clustering, random).CopyTo(codebooks, s * k * d);
        }
        return new ProductQuantizer(dim, m, k, codebooks, rotation);
    }

    /// <summary>
    /// Codes of <paramref name="count"/> rows [count × D] into <paramref name="codes"/> [count × M]: each sub-vector's
    /// nearest centroid, argmaxⱼ xₘ·C[m][j] − ½‖C[m][j]‖² (the lowest j on a tie), by <see cref="KMeans.Assign"/> per
    /// subspace and block of rows (short sub-vectors fused, longer through a GEMM); the subspaces are shared among the cores. With a <see cref="Rotation"/> the rows are rotated first.
    /// </summary>
    public unsafe void Encode(ReadOnlySpan<float> rows, int count, Span<byte> codes)
    {
        if (rows.Length < count * Dimension) throw new ArgumentException($"{count} rows of {Dimension} need {count * Dimension} values", nameof(rows));
        if (codes.Length < count * Subspaces) throw new ArgumentException($"{count} codes of {Subspaces} bytes need {count * Subspaces}", nameof(codes));
        if (count == 0) return;
        if (rotation is not null)
        {
            // The rotated rows in this thread's buffer, reused block after block (an index encodes 1,024 rows a call).
            if (turnedRows is null || turnedRows.Length < count * CodeDimension) turnedRows = new float[count * CodeDimension];
            OpqRotation.Apply(rotation, CodeDimension, Dimension, rows[..(count * Dimension)], count, turnedRows.AsSpan(0, count * CodeDimension));
            rows = turnedRows.AsSpan(0, count * CodeDimension);
        }
        fixed (float* x = rows)
        fixed (byte* c = codes)
        {
            nint xs = (nint)x, cs = (nint)c;
            Parallel.For(0, Subspaces, m => EncodeSubspace(new ReadOnlySpan<float>((float*)xs, count * CodeDimension), count, m,
                new Span<byte>((byte*)cs, count * Subspaces)));
        }
    }

    /// <summary>Subspace <paramref name="m"/>'s byte of every code of the rows [count × D'] (see <see cref="Encode"/>), by <see cref="KMeans.Assign"/>.</summary>
    private void EncodeSubspace(ReadOnlySpan<float> rows, int count, int m, Span<byte> codes)
    {
        int d = SubDimension, k = Centroids, block = Math.Min(EncodeBlock, count);
        var slice = new float[block * d];
        var nearest = new int[block];
        var b = bias.AsSpan(m * k, k);
        for (int start = 0; start < count; start += block)
        {
            int n = Math.Min(block, count - start);
            for (int i = 0; i < n; i++) rows.Slice((start + i) * CodeDimension + m * d, d).CopyTo(slice.AsSpan(i * d, d));
            KMeans.Assign(slice.AsSpan(0, n * d), n, d, Codebook(m), k, nearest.AsSpan(0, n), default, b);
            for (int i = 0; i < n; i++) codes[(start + i) * Subspaces + m] = (byte)nearest[i];
        }
    }

    /// <summary>The row a code stands for: the chosen centroids side by side [D] (rotated back by Aᵀ with a <see cref="Rotation"/>).</summary>
    public void Decode(ReadOnlySpan<byte> code, Span<float> into)
    {
        int d = SubDimension;
        Span<float> y = rotation is null ? into : new float[CodeDimension];
        for (int m = 0; m < Subspaces; m++)
            Codebook(m).Slice(code[m] * d, d).CopyTo(y.Slice(m * d, d));
        if (rotation is not null) OpqRotation.Unapply(rotation, CodeDimension, Dimension, y, 1, into);
    }

    /// <summary>
    /// The query's inner products with every centroid, <paramref name="table"/>[m·K + j] = qₘ · C[m][j] [M × K] (of the
    /// rotated query A·q with a <see cref="Rotation"/>).
    /// </summary>
    public void Table(ReadOnlySpan<float> query, Span<float> table)
    {
        if (query.Length != Dimension) throw new ArgumentException($"a query of {query.Length} values for {Dimension}-d codes", nameof(query));
        if (rotation is null)
        {
            TableOf(query, table);
            return;
        }
        Span<float> turned = CodeDimension <= 1024 ? stackalloc float[CodeDimension] : new float[CodeDimension];
        for (int i = 0; i < CodeDimension; i++) turned[i] = TensorPrimitives.Dot(rotation.AsSpan(i * Dimension, Dimension), query);
        TableOf(turned, table);
    }

    /// <summary>
    /// The query's negated distances to every centroid (faiss's <c>compute_distance_table</c> for L2, negated so that
    /// higher is nearer as in <see cref="Table"/>): <paramref name="table"/>[m·K + j] = −‖qₘ − C[m][j]‖² for
    /// <see cref="SimilarityFunction.Euclidean"/>, −Σ|qₘ − C[m][j]| for <see cref="SimilarityFunction.Manhattan"/>, so a
    /// code's <see cref="Score"/> is minus its reconstruction's squared Euclidean (Manhattan) distance to q: both sum over
    /// the subspaces. With a rotation (Euclidean only) the table is of A·q, and the returned constant, ‖q‖² − ‖A·q‖²
    /// (A's rows orthonormal: the part of q off the codes' span, 0 for a square A), is to be taken off the sum; a
    /// rotation to more dimensions than the rows' (A's columns orthonormal) keeps no distance, and none keeps a
    /// Manhattan one: <see cref="ArgumentException"/> (<see cref="DistanceRefusal(SimilarityFunction)"/>). Without a rotation it returns 0.
    /// </summary>
    public float DistanceTable(ReadOnlySpan<float> query, SimilarityFunction similarity, Span<float> table)
    {
        if (query.Length != Dimension) throw new ArgumentException($"a query of {query.Length} values for {Dimension}-d codes", nameof(query));
        if (DistanceRefusal(similarity) is { } refusal) throw new ArgumentException(refusal, nameof(similarity));
        if (table.Length < Subspaces * Centroids) throw new ArgumentException($"a table of {Subspaces} × {Centroids} needs {Subspaces * Centroids} values", nameof(table));
        Span<float> turned = rotation is null ? default : CodeDimension <= 1024 ? stackalloc float[CodeDimension] : new float[CodeDimension];
        float offset = 0;
        if (rotation is not null)
        {
            for (int i = 0; i < CodeDimension; i++) turned[i] = TensorPrimitives.Dot(rotation.AsSpan(i * Dimension, Dimension), query);
            offset = TensorPrimitives.Dot(query, query) - TensorPrimitives.Dot(turned, turned);
        }
        ReadOnlySpan<float> rows = rotation is null ? query : turned;
        int d = SubDimension, k = Centroids;
        for (int m = 0; m < Subspaces; m++)
        {
            var q = rows.Slice(m * d, d);
            var book = Codebook(m);
            for (int j = 0; j < k; j++)
            {
                var c = book.Slice(j * d, d);
                float sum = 0;
                if (similarity == SimilarityFunction.Euclidean)
                    for (int i = 0; i < d; i++) sum += (q[i] - c[i]) * (q[i] - c[i]);
                else sum = -Similarities.Compute(SimilarityFunction.Manhattan, q, c);
                table[m * k + j] = -sum;
            }
        }
        return offset;
    }

    /// <summary>
    /// Why these codes cannot rank by <paramref name="similarity"/>'s distance (<see cref="DistanceTable"/>), or null
    /// (<see cref="DistanceRefusal(SimilarityFunction, bool, int, int)"/>; a similarity that is no distance has no table).
    /// </summary>
    public string? DistanceRefusal(SimilarityFunction similarity) => similarity is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan
        ? DistanceRefusal(similarity, rotation is not null, CodeDimension, Dimension)
        : $"{Similarities.Name(similarity)} has no distance table (Table: inner products)";

    /// <summary>
    /// Why codes of <paramref name="dimension"/>-d rows (turned to <paramref name="codeDimension"/> by an OPQ rotation when
    /// <paramref name="rotated"/>) cannot rank by a Euclidean or Manhattan <paramref name="similarity"/>, or null: a
    /// rotation keeps no Manhattan distance, and one to more dimensions than the rows' keeps no Euclidean one either.
    /// </summary>
    public static string? DistanceRefusal(SimilarityFunction similarity, bool rotated, int codeDimension, int dimension) => similarity switch
    {
        SimilarityFunction.Manhattan when rotated => "--opq: an OPQ rotation does not keep Manhattan distances; a manhattan model's PQ codes are trained without it",
        _ when rotated && codeDimension > dimension =>
            $"--opq-dim {codeDimension}: an OPQ rotation to more dimensions than the rows' {dimension} does not keep Euclidean distances; use at most {dimension}",
        _ => null,
    };

    // The table of a query already in the codebooks' (rotated) space.
    private void TableOf(ReadOnlySpan<float> query, Span<float> table)
    {
        int d = SubDimension, k = Centroids;
        for (int m = 0; m < Subspaces; m++)
        {
            var q = query.Slice(m * d, d);
            var book = Codebook(m);
            for (int j = 0; j < k; j++) table[m * k + j] = TensorPrimitives.Dot(q, book.Slice(j * d, d));
        }
    }

    /// <summary>q · x̂ of one code from the query's <see cref="Table"/>: Σₘ T[m·K + cₘ], summed in subspace order.</summary>
    public static float Score(ReadOnlySpan<byte> code, ReadOnlySpan<float> table, int centroids)
    {
        float s = 0;
        for (int m = 0; m < code.Length; m++) s += table[m * centroids + code[m]];
        return s;
    }

    /// <summary>Writes <c>pq.bin</c>'s bytes (the class summary gives the layout).</summary>
    public void Write(Stream stream)
    {
        bool reshaped = CodeDimension != Dimension;
        Span<byte> header = stackalloc byte[24];
        (rotation is null ? Magic : reshaped ? ReshapedMagic : RotatedMagic).CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Dimension);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Subspaces);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], Centroids);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], CodeDimension);
        stream.Write(header[..(reshaped ? 24 : 20)]);
        stream.Write(MemoryMarshal.AsBytes(codebooks.AsSpan()));
        if (rotation is not null) stream.Write(MemoryMarshal.AsBytes(rotation.AsSpan()));
    }

    /// <summary>Reads <paramref name="path"/> for an index of <paramref name="dimension"/>-d rows; damage throws
    /// <see cref="EvaluationException"/> naming the file.</summary>
    public static ProductQuantizer Read(string path, int dimension)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (a PQ index; index damaged?)");
        var bytes = File.ReadAllBytes(path);
        var magic = bytes.AsSpan(0, Math.Min(8, bytes.Length));
        bool reshaped = magic.SequenceEqual(ReshapedMagic), rotated = reshaped || magic.SequenceEqual(RotatedMagic);
        int headerBytes = reshaped ? 24 : 20;
        if (bytes.Length < headerBytes || !(rotated || magic.SequenceEqual(Magic))) throw new EvaluationException($"{path}: not a Skald PQ file");
        int dim = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)), m = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)),
            k = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16)), codeDim = reshaped ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20)) : dim;
        if (dim != dimension) throw new EvaluationException($"{path}: codebooks for {dim}-d rows, the index holds {dimension}-d vectors");
        long books = 4L * codeDim * k, turn = rotated ? 4L * codeDim * dim : 0;
        if (m < 1 || k is < 1 or > 256 || codeDim < 1 || codeDim % m != 0 || bytes.LongLength != headerBytes + books + turn)
            throw new EvaluationException($"{path}: {bytes.Length} bytes do not hold {m} codebooks of {k} centroids for {codeDim}-d rows" +
                (rotated ? " and their rotation" : ""));
        float[]? rotation = rotated ? MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(headerBytes + books))).ToArray() : null;
        if (rotation is not null) CheckOrthonormal(path, rotation, codeDim, dim);
        return new ProductQuantizer(dim, m, k, MemoryMarshal.Cast<byte, float>(bytes.AsSpan(headerBytes, (int)books)).ToArray(), rotation);
    }

    // Decode takes Aᵀ for A's inverse: A's rows (D' ≤ D) or columns (D' > D) must be unit vectors (a cheap check for
    // damage that stays finite).
    private static void CheckOrthonormal(string path, float[] rotation, int rows, int cols)
    {
        if (!rotation.All(float.IsFinite)) throw new EvaluationException($"{path}: the rotation holds a value that is not finite");
        bool byRow = rows <= cols;
        for (int i = 0; i < (byRow ? rows : cols); i++)
        {
            double square = 0;
            for (int j = 0; j < (byRow ? cols : rows); j++)
            {
                double v = byRow ? rotation[i * cols + j] : rotation[j * cols + i];
                square += v * v;
            }
            float norm = (float)Math.Sqrt(square);
            if (MathF.Abs(norm - 1f) > 1e-3f)
                throw new EvaluationException($"{path}: {(byRow ? "row" : "column")} {i} of the rotation has norm {norm}, not 1 (damaged?)");
        }
    }
}
