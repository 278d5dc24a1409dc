using MathNet.Numerics.LinearAlgebra;
using Skald.Retrieval.Ivf;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Optimized product quantization's rotation (Ge, He, Ke and Sun 2013, the non-parametric solution; faiss's
/// <c>OPQMatrix::train</c> in faiss/VectorTransform.cpp at
/// https://github.com/facebookresearch/faiss/blob/02dbb4e42f49aa2ce57cd78977b0e47a11f7cb91/faiss/VectorTransform.cpp):
/// a matrix A [D' × D] with orthonormal rows (D' ≤ D) or columns (D' ≥ D) such that product-quantizing the D'-d y = A·x
/// loses less than quantizing x, found by alternating two steps on the centred training sample X̄ [n × D]:
/// <list type="number">
/// <item>with A fixed, train the codebooks on Y = X̄·Aᵀ and reconstruct Ŷ (the first round <see cref="FirstRoundIterations"/>
/// Lloyd steps from sample points, later rounds <see cref="LaterRoundIterations"/> steps from the previous codebooks);</item>
/// <item>with Ŷ fixed, A = U·Vᵀ from C = Ŷᵀ·X̄ [D' × D] = U·S·Vᵀ (thin singular value decomposition, r = min(D', D)
/// singular values), the matrix with orthonormal rows or columns that maximises tr(Aᵀ·C) (orthogonal Procrustes). For
/// D' ≥ D (AᵀA = I) ‖Ŷ − X̄Aᵀ‖² = ‖Ŷ‖² + ‖X̄‖² − 2·tr(Aᵀ·C), so this A minimises the loss; for D' &lt; D the term
/// ‖X̄Aᵀ‖² (the variance the projection keeps) is not constant, and faiss's step, taken here too, leaves it out, so it
/// also leans towards the directions of most variance.</item>
/// </list>
/// It starts from the top-left D' × D block of a random orthonormal max(D, D') square matrix (Gaussian entries, QR).
/// faiss pads the rows with zeros to D' when D' &gt; D and keeps A's first D columns at the end; the padded columns of
/// X̄ are zero, so its Procrustes step gives the same first D columns as the thin one here. D' = D is a rotation and
/// keeps inner products, q·x = (Aq)·(Ax); D' &gt; D too (AᵀA = I); D' &lt; D (faiss's <c>OPQ64_128</c> from larger
/// rows) projects the rows onto D' orthonormal directions, and the codes then approximate the projection. Either way a
/// code's row is Aᵀ·ŷ and q·(Aᵀŷ) = (Aq)·ŷ, so an index encodes A·x (A·residual in an IVF list), builds a query's table
/// from A·q and scores as before. The decomposition is Math.NET Numerics' (double precision).
/// </summary>
internal static class OpqRotation
{
    /// <summary>Lloyd steps of the first round's codebooks (faiss's <c>niter_pq_0</c>).</summary>
    public const int FirstRoundIterations = 40;

    /// <summary>Lloyd steps of each later round, from the previous round's codebooks (faiss's <c>niter_pq</c>).</summary>
    public const int LaterRoundIterations = 4;

    /// <summary>Rows OPQ trains on at most (faiss's <c>max_train_points</c>, 256 × 256), whatever the codes' bits.</summary>
    public const int SampleRows = 256 * 256;

    /// <summary>
    /// Training points per centroid of each round's codebooks at most (faiss sets its product quantizer's
    /// <c>max_points_per_centroid</c> to 1,000 in OPQ's rounds, subsampling with a fixed seed, so every round and
    /// subspace takes the same rows: here the sample's first K × 1,000, the sample being a random draw already); the
    /// codes, the reconstruction and the Procrustes step take every sample row.
    /// </summary>
    public const int PointsPerCentroidInRounds = 1000;

    /// <summary>
    /// Trains A [<paramref name="outDim"/> × <paramref name="dim"/>] row-major (y = A·x: y[i] = Σⱼ A[i·D + j]·x[j]) on
    /// the sample <paramref name="x"/> [n × D] for <paramref name="subspaces"/> codebooks of <paramref name="centroids"/>
    /// centroids (of the D'-d rows), <paramref name="rounds"/> rounds. <paramref name="x"/> is centred in place (the
    /// sample is held twice, not three times); <paramref name="rotated"/> [n × D'] gets the sample turned by the final
    /// A, A·x̄ᵢ + A·mean (A·xᵢ up to rounding), for the final codebooks. <paramref name="start"/> replaces the random
    /// starting matrix and the first round's random starting centroids (a reference's, in the tests), and
    /// <paramref name="pointsPerCentroid"/> <see cref="PointsPerCentroidInRounds"/>.
    /// </summary>
    public static float[] Train(float[] x, int n, int dim, int outDim, int subspaces, int centroids, int rounds, Random random,
        out float[] rotated, OpqStart? start = null, int pointsPerCentroid = PointsPerCentroidInRounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        int d = outDim / subspaces, points = (int)Math.Min(n, (long)centroids * pointsPerCentroid);
        var mean = CentreInPlace(x, n, dim);
        var centred = x;
        var a = start?.Rotation ?? Block(RandomOrthonormal(Math.Max(dim, outDim), random), Math.Max(dim, outDim), outDim, dim);
        if (a.Length != outDim * dim) throw new ArgumentException($"a starting matrix of {outDim} × {dim} needs {outDim * dim} values, got {a.Length}", nameof(start));
        var y = new float[(long)n * outDim];
        var codes = new byte[(long)n * subspaces];
        var slice = new float[(long)points * d];
        var books = new float[outDim * centroids];
        var cross = new float[outDim * dim];
        var clustering = new KMeansOptions { Iterations = FirstRoundIterations, Spherical = false };
        for (int round = 0; round < rounds; round++)
        {
            // Y [n × D'] = X̄ · Aᵀ
            Apply(a, outDim, dim, centred, n, y);
            for (int s = 0; s < subspaces; s++)
            {
                for (int i = 0; i < points; i++) y.AsSpan((int)((long)i * outDim + s * d), d).CopyTo(slice.AsSpan(i * d, d));
                var book = round > 0
                    ? KMeans.Lloyd(slice, points, d, books.AsSpan(s * centroids * d, centroids * d).ToArray(), centroids, LaterRoundIterations, spherical: false)
                    : start is null
                        ? KMeans.TrainOn(slice, points, d, centroids, clustering, random)
                        : KMeans.Lloyd(slice, points, d, Rows(slice, d, start.FirstCentroids[s]), centroids, FirstRoundIterations, spherical: false);
                book.CopyTo(books, s * centroids * d);
            }
            var pq = new ProductQuantizer(outDim, subspaces, centroids, books); // plain codebooks of the D'-d rows
            pq.Encode(y, n, codes);
            // Ŷ over Y (no longer needed), C [D' × D] = Ŷᵀ · X̄, then A = U·Vᵀ
            for (int i = 0; i < n; i++) pq.Decode(codes.AsSpan(i * subspaces, subspaces), y.AsSpan((int)((long)i * outDim), outDim));
            Blas.Sgemm(true, false, outDim, dim, n, 1f, y, outDim, centred, dim, 0f, cross, dim);
            a = Procrustes(cross, outDim, dim);
        }
        Apply(a, outDim, dim, centred, n, y);
        var turnedMean = new float[outDim];
        for (int i = 0; i < outDim; i++) turnedMean[i] = (float)Enumerable.Range(0, dim).Sum(j => (double)a[i * dim + j] * mean[j]);
        for (int i = 0; i < n; i++)
        {
            var row = y.AsSpan((int)((long)i * outDim), outDim);
            System.Numerics.Tensors.TensorPrimitives.Add(row, turnedMean, row);
        }
        rotated = y;
        return a;
    }

    /// <summary>
    /// The A [rows × cols] with orthonormal rows or columns maximising tr(Aᵀ·C) for C [rows × cols] row-major (the
    /// nearest such matrix to C): A = U·Vᵀ of the thin decomposition C = U·S·Vᵀ.
    /// </summary>
    public static float[] Procrustes(float[] c, int rows, int cols)
    {
        var m = Matrix<double>.Build.Dense(rows, cols, (i, j) => c[i * cols + j]);
        var svd = m.Svd(computeVectors: true);
        int r = Math.Min(rows, cols);
        var a = svd.U.SubMatrix(0, rows, 0, r) * svd.VT.SubMatrix(0, r, 0, cols);
        var result = new float[rows * cols];
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            result[i * cols + j] = (float)a[i, j];
        return result;
    }

    /// <summary>A random orthonormal [D × D] (Q of the QR decomposition of Gaussian entries drawn from <paramref name="random"/>).</summary>
    public static float[] RandomOrthonormal(int dim, Random random)
    {
        var g = Matrix<double>.Build.Dense(dim, dim);
        for (int i = 0; i < dim; i++)
        for (int j = 0; j < dim; j++)
            g[i, j] = Gaussian(random);
        var q = g.QR().Q;
        var result = new float[dim * dim];
        for (int i = 0; i < dim; i++)
        for (int j = 0; j < dim; j++)
            result[i * dim + j] = (float)q[i, j];
        return result;
    }

    /// <summary>y = A·x for each of <paramref name="n"/> rows x [n × D] into y [n × D'] (one GEMM; A [D' × D]).</summary>
    public static void Apply(ReadOnlySpan<float> a, int outDim, int dim, ReadOnlySpan<float> x, int n, Span<float> y) =>
        Blas.Sgemm(false, true, n, outDim, dim, 1f, x, dim, a, dim, 0f, y, outDim);

    /// <summary>x = Aᵀ·y for each of <paramref name="n"/> rows y [n × D'] into x [n × D] (A's transpose: its inverse when D' ≥ D).</summary>
    public static void Unapply(ReadOnlySpan<float> a, int outDim, int dim, ReadOnlySpan<float> y, int n, Span<float> x) =>
        Blas.Sgemm(false, false, n, dim, outDim, 1f, y, outDim, a, dim, 0f, x, dim);

    // The top-left rows × cols block of a square [size × size] row-major matrix.
    private static float[] Block(float[] square, int size, int rows, int cols)
    {
        if (rows == size && cols == size) return square;
        var block = new float[rows * cols];
        for (int i = 0; i < rows; i++) square.AsSpan(i * size, cols).CopyTo(block.AsSpan(i * cols, cols));
        return block;
    }

    // The sample rows `which` of points [n × d], side by side [|which| × d].
    private static float[] Rows(float[] points, int d, int[] which)
    {
        var chosen = new float[which.Length * d];
        for (int j = 0; j < which.Length; j++) points.AsSpan(which[j] * d, d).CopyTo(chosen.AsSpan(j * d, d));
        return chosen;
    }

    // X −= the column means (summed in double), as faiss centres the sample before it trains the rotation; returns them.
    private static double[] CentreInPlace(float[] x, int n, int dim)
    {
        var mean = new double[dim];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++)
            mean[j] += x[(long)i * dim + j];
        for (int j = 0; j < dim; j++) mean[j] /= n;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < dim; j++)
            x[(long)i * dim + j] = (float)(x[(long)i * dim + j] - mean[j]);
        return mean;
    }

    // A standard normal value by Box–Muller from two uniforms of the seeded generator.
    private static double Gaussian(Random random)
    {
        double u = 1.0 - random.NextDouble(), v = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }
}
