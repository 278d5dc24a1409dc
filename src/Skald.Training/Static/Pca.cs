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
        // Covariance, upper triangle accumulated over centred rows, rows split into a partition fixed by the row count
        // alone (not the thread count), partials summed in order: the same bytes at any thread count.
        int parts = Math.Clamp(rows / 256, 1, 4);
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
