using System.Numerics.Tensors;

namespace Skald.Training.Static;

/// <summary>
/// Principal component analysis as scikit-learn's <c>PCA(svd_solver="full").fit_transform</c>: rows centred by the
/// column means, projected on the top-k eigenvectors of the covariance (divided by n − 1), components ordered by
/// decreasing variance, each component's sign chosen so that its largest-magnitude entry is positive (sklearn's
/// <c>svd_flip</c> on the components). Accumulates in double; deterministic.
/// </summary>
public sealed class Pca
{
    private Pca(double[] mean, double[] components, double[] variance, int dims, int k)
    {
        Mean = mean;
        Components = components;
        ExplainedVariance = variance;
        InputDimension = dims;
        Count = k;
    }

    /// <summary>Column means of the fitted data.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Principal axes [k, inputDimension], row-major, unit length.</summary>
    public IReadOnlyList<double> Components { get; }

    /// <summary>Variance along each component (the covariance eigenvalues), decreasing.</summary>
    public IReadOnlyList<double> ExplainedVariance { get; }

    /// <summary>Width of the fitted data.</summary>
    public int InputDimension { get; }

    /// <summary>Number of components kept.</summary>
    public int Count { get; }

    /// <summary>Fits on <paramref name="data"/> [rows, cols] and keeps <paramref name="k"/> components.</summary>
    public static Pca Fit(ReadOnlySpan<float> data, int rows, int cols, int k)
    {
        if (rows < 2) throw new ArgumentException("PCA needs at least two rows", nameof(rows));
        if (cols < 1 || (long)rows * cols != data.Length) throw new ArgumentException($"[{rows}, {cols}] does not match {data.Length} values");
        if (k < 1 || k > cols) throw new ArgumentOutOfRangeException(nameof(k), $"{k} components of {cols} dimensions");
        var mean = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * cols, cols);
            for (int j = 0; j < cols; j++) mean[j] += row[j];
        }
        for (int j = 0; j < cols; j++) mean[j] /= rows;
        // Covariance, upper triangle accumulated over centred rows, rows split over threads (fixed partition, so the
        // sum order and the result do not depend on scheduling).
        int parts = Math.Clamp(Tensors.Parallelism.MaxThreads, 1, 64);
        var partial = new double[parts][];
        var array = data.ToArray();
        Parallel.For(0, parts, p =>
        {
            var acc = new double[cols * cols];
            var x = new double[cols];
            int start = (int)((long)rows * p / parts), end = (int)((long)rows * (p + 1) / parts);
            for (int r = start; r < end; r++)
            {
                for (int j = 0; j < cols; j++) x[j] = array[r * cols + j] - mean[j];
                for (int i = 0; i < cols; i++)
                {
                    double xi = x[i];
                    if (xi == 0) continue;
                    var dst = acc.AsSpan(i * cols + i, cols - i);
                    TensorPrimitives.MultiplyAdd(x.AsSpan(i), xi, dst, dst);
                }
            }
            partial[p] = acc;
        });
        var cov = new double[cols * cols];
        foreach (var acc in partial)
        {
            for (int i = 0; i < cov.Length; i++) cov[i] += acc[i];
        }
        for (int i = 0; i < cols; i++)
        {
            for (int j = i; j < cols; j++)
            {
                double v = cov[i * cols + j] / (rows - 1);
                cov[i * cols + j] = v;
                cov[j * cols + i] = v;
            }
        }
        var (values, vectors) = SymmetricEigen.Decompose(cov, cols);
        var comps = new double[k * cols];
        for (int c = 0; c < k; c++)
        {
            // Column c of the eigenvector matrix; largest |entry| positive (first one on ties).
            int arg = 0;
            for (int i = 1; i < cols; i++)
            {
                if (Math.Abs(vectors[i * cols + c]) > Math.Abs(vectors[arg * cols + c])) arg = i;
            }
            double sign = vectors[arg * cols + c] < 0 ? -1 : 1;
            for (int i = 0; i < cols; i++) comps[c * cols + i] = sign * vectors[i * cols + c];
        }
        return new Pca(mean, comps, values[..k], cols, k);
    }

    /// <summary>Centres and projects <paramref name="data"/> [rows, InputDimension] → [rows, Count].</summary>
    public float[] Transform(ReadOnlySpan<float> data, int rows)
    {
        int cols = InputDimension, k = Count;
        if ((long)rows * cols != data.Length) throw new ArgumentException($"[{rows}, {cols}] does not match {data.Length} values");
        var input = data.ToArray();
        var result = new float[rows * k];
        var mean = (double[])Mean;
        var comps = (double[])Components;
        Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = Tensors.Parallelism.MaxThreads }, r =>
        {
            var x = new double[cols];
            for (int j = 0; j < cols; j++) x[j] = input[r * cols + j] - mean[j];
            for (int c = 0; c < k; c++)
            {
                result[r * k + c] = (float)TensorPrimitives.Dot<double>(x, comps.AsSpan(c * cols, cols));
            }
        });
        return result;
    }
}

/// <summary>Eigen-decomposition of a real symmetric matrix by the cyclic Jacobi method.</summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues (decreasing) and eigenvectors of the symmetric <paramref name="matrix"/> [n, n] (row-major, not
    /// modified): <c>vectors[i * n + c]</c> is entry i of the eigenvector of <c>values[c]</c>. Sweeps of plane
    /// rotations until the off-diagonal mass is below 1e-14 of the matrix norm (at most 100 sweeps).
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> matrix, int n)
    {
        if (n < 1 || (long)n * n != matrix.Length) throw new ArgumentException($"[{n}, {n}] does not match {matrix.Length} values");
        var a = matrix.ToArray();
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (Math.Abs(a[i * n + j] - a[j * n + i]) > 1e-9 * (Math.Abs(a[i * n + j]) + Math.Abs(a[j * n + i]) + 1e-300))
                    throw new ArgumentException("matrix is not symmetric", nameof(matrix));
            }
        }
        // w holds the eigenvectors as rows (wᵀ is the accumulated rotation), so every update is a contiguous row op.
        var w = new double[n * n];
        for (int i = 0; i < n; i++) w[i * n + i] = 1;
        double total = 0;
        foreach (double x in a) total += x * x;
        double tolerance = 1e-28 * Math.Max(total, double.Epsilon);
        var tmp = new double[n];
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
            }
            if (off <= tolerance) break;
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++) Rotate(a, w, tmp, n, p, q);
            }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => a[i * n + i]).ThenBy(i => i).ToArray();
        var values = new double[n];
        var vectors = new double[n * n];
        for (int c = 0; c < n; c++)
        {
            values[c] = a[order[c] * n + order[c]];
            for (int i = 0; i < n; i++) vectors[i * n + c] = w[order[c] * n + i];
        }
        return (values, vectors);
    }

    /// <summary>
    /// One Jacobi rotation J zeroing a[p, q] (Golub &amp; Van Loan, Algorithm 8.4.1 with the stable tangent): A ← JᵀAJ.
    /// Outside the (p, q) block JᵀAJ changes only rows and columns p and q, by the same combination, so rows are
    /// combined contiguously and mirrored into the columns; the 2×2 block is set in closed form.
    /// </summary>
    private static void Rotate(double[] a, double[] w, double[] tmp, int n, int p, int q)
    {
        double apq = a[p * n + q];
        if (apq == 0) return;
        double app = a[p * n + p], aqq = a[q * n + q];
        double theta = (aqq - app) / (2 * apq);
        double t = theta == 0 ? 1 : Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        Combine(a.AsSpan(p * n, n), a.AsSpan(q * n, n), tmp, c, s);
        a[p * n + p] = app - t * apq;
        a[q * n + q] = aqq + t * apq;
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (int k = 0; k < n; k++)
        {
            if (k == p || k == q) continue;
            a[k * n + p] = a[p * n + k];
            a[k * n + q] = a[q * n + k];
        }
        Combine(w.AsSpan(p * n, n), w.AsSpan(q * n, n), tmp, c, s);
    }

    /// <summary>(rp, rq) ← (c·rp − s·rq, s·rp + c·rq).</summary>
    private static void Combine(Span<double> rp, Span<double> rq, Span<double> tmp, double c, double s)
    {
        TensorPrimitives.Multiply(rp, c, tmp);
        TensorPrimitives.MultiplyAdd(rq, -s, tmp, tmp);
        TensorPrimitives.Multiply(rq, c, rq);
        TensorPrimitives.MultiplyAdd(rp, s, rq, rq);
        tmp.CopyTo(rp);
    }
}
