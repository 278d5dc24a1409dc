using MathNet.Numerics.LinearAlgebra;
using Skald.Retrieval.Ivf;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// Optimized product quantization's rotation (Ge, He, Ke and Sun 2013, the non-parametric solution; faiss's
/// <c>OPQMatrix::train</c> in faiss/VectorTransform.cpp at
/// https://github.com/facebookresearch/faiss/blob/02dbb4e42f49aa2ce57cd78977b0e47a11f7cb91/faiss/VectorTransform.cpp):
/// an orthonormal A [D × D] such that product-quantizing y = A·x loses less than quantizing x, found by alternating two
/// steps on the centred training sample X̄ [n × D]:
/// <list type="number">
/// <item>with A fixed, train the codebooks on Y = X̄·Aᵀ and reconstruct Ŷ (the first round <see cref="FirstRoundIterations"/>
/// Lloyd steps from sample points, later rounds <see cref="LaterRoundIterations"/> steps from the previous codebooks);</item>
/// <item>with Ŷ fixed, the A minimising ‖Ŷ − X̄·Aᵀ‖ over orthonormal matrices (orthogonal Procrustes): with
/// Ŷᵀ·X̄ = U·S·Vᵀ (singular value decomposition), A = U·Vᵀ: ‖Ŷ − X̄Aᵀ‖² = const − 2·tr(A·X̄ᵀŶ), and
/// tr(A·V·S·Uᵀ) = tr(Uᵀ·A·V·S) is largest when Uᵀ·A·V is the identity.</item>
/// </list>
/// It starts from a random orthonormal A (Gaussian entries, QR). An orthonormal A keeps inner products, q·x = (Aq)·(Ax),
/// so a rotated index encodes A·x (A·residual in an IVF list), builds a query's table from A·q and scores as before.
/// The decomposition is Math.NET Numerics' (double precision).
/// </summary>
internal static class OpqRotation
{
    /// <summary>Lloyd steps of the first round's codebooks (faiss's <c>niter_pq_0</c>).</summary>
    public const int FirstRoundIterations = 40;

    /// <summary>Lloyd steps of each later round, from the previous round's codebooks (faiss's <c>niter_pq</c>).</summary>
    public const int LaterRoundIterations = 4;

    /// <summary>
    /// Trains A [D × D] row-major (y = A·x: y[i] = Σⱼ A[i·D + j]·x[j]) on the sample <paramref name="x"/> [n × D] for
    /// <paramref name="subspaces"/> codebooks of <paramref name="centroids"/> centroids, <paramref name="rounds"/> rounds.
    /// <paramref name="x"/> is centred in place (the sample is held twice, not three times); <paramref name="rotated"/>
    /// gets the sample turned by the final A, A·x̄ᵢ + A·mean (A·xᵢ up to rounding), for the final codebooks.
    /// </summary>
    public static float[] Train(float[] x, int n, int dim, int subspaces, int centroids, int rounds, Random random, out float[] rotated)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        int d = dim / subspaces;
        var mean = CentreInPlace(x, n, dim);
        var centred = x;
        var a = RandomOrthonormal(dim, random);
        var y = new float[(long)n * dim];
        var codes = new byte[(long)n * subspaces];
        var slice = new float[(long)n * d];
        var books = new float[dim * centroids];
        var cross = new float[dim * dim];
        for (int round = 0; round < rounds; round++)
        {
            // Y [n × D] = X̄ · Aᵀ
            Apply(a, dim, centred, n, y);
            for (int s = 0; s < subspaces; s++)
            {
                for (int i = 0; i < n; i++) y.AsSpan((int)((long)i * dim + s * d), d).CopyTo(slice.AsSpan(i * d, d));
                var book = round == 0
                    ? KMeans.TrainOn(slice, n, d, centroids, new KMeansOptions { Iterations = FirstRoundIterations, Spherical = false }, random)
                    : KMeans.Lloyd(slice, n, d, books.AsSpan(s * centroids * d, centroids * d).ToArray(), centroids, LaterRoundIterations, spherical: false);
                book.CopyTo(books, s * centroids * d);
            }
            var pq = new ProductQuantizer(dim, subspaces, centroids, books);
            pq.Encode(y, n, codes);
            // Ŷ over Y (no longer needed), C [D × D] = Ŷᵀ · X̄, then A = U·Vᵀ
            for (int i = 0; i < n; i++) pq.Decode(codes.AsSpan(i * subspaces, subspaces), y.AsSpan((int)((long)i * dim), dim));
            Blas.Sgemm(true, false, dim, dim, n, 1f, y, dim, centred, dim, 0f, cross, dim);
            a = Procrustes(cross, dim);
        }
        Apply(a, dim, centred, n, y);
        var turnedMean = new float[dim];
        for (int i = 0; i < dim; i++) turnedMean[i] = (float)Enumerable.Range(0, dim).Sum(j => (double)a[i * dim + j] * mean[j]);
        for (int i = 0; i < n; i++)
        {
            var row = y.AsSpan((int)((long)i * dim), dim);
            System.Numerics.Tensors.TensorPrimitives.Add(row, turnedMean, row);
        }
        rotated = y;
        return a;
    }

    /// <summary>
    /// The orthonormal A maximising tr(Aᵀ·C) for C [D × D] row-major (the A nearest to C): A = U·Vᵀ for C = U·S·Vᵀ.
    /// </summary>
    public static float[] Procrustes(float[] c, int dim)
    {
        var m = Matrix<double>.Build.Dense(dim, dim, (i, j) => c[i * dim + j]);
        var svd = m.Svd(computeVectors: true);
        var a = svd.U * svd.VT;
        var result = new float[dim * dim];
        for (int i = 0; i < dim; i++)
        for (int j = 0; j < dim; j++)
            result[i * dim + j] = (float)a[i, j];
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

    /// <summary>y = A·x for each of <paramref name="n"/> rows x [n × D] (one GEMM).</summary>
    public static void Apply(ReadOnlySpan<float> a, int dim, ReadOnlySpan<float> x, int n, Span<float> y) =>
        Blas.Sgemm(false, true, n, dim, dim, 1f, x, dim, a, dim, 0f, y, dim);

    /// <summary>x = Aᵀ·y for each of <paramref name="n"/> rows (the inverse of <see cref="Apply"/>, A orthonormal).</summary>
    public static void Unapply(ReadOnlySpan<float> a, int dim, ReadOnlySpan<float> y, int n, Span<float> x) =>
        Blas.Sgemm(false, false, n, dim, dim, 1f, y, dim, a, dim, 0f, x, dim);

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
