using Skald.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Models.LateInteraction;

/// <summary>
/// A token embedding table given more (or fewer) rows as transformers' <c>resize_token_embeddings</c> does with its
/// default <c>mean_resizing=True</c> (transformers 4.46 and later, so the 5.x that PyLate's pin
/// <c>transformers &gt;= 4.41.0, &lt;= 5.3.0</c> installs): the rows kept are copied, and every new row is drawn from
/// the multivariate normal with the old rows' mean and 1e-9 times their covariance (population covariance, over the old
/// rows), or is the mean itself when that covariance is not positive definite. The draw comes from a
/// <see cref="SkaldRandom"/> (torch's generator is not reproduced), so it is deterministic from the seed; with the 1e-9
/// factor a new row lies within about 3·10⁻⁵ standard deviations of the mean.
/// </summary>
/// <remarks>
/// Upstream: transformers' <c>PreTrainedModel._get_resized_embeddings</c> and
/// <c>_init_added_embeddings_weights_with_mean</c> (modeling_utils.py, 5.x). The mean and covariance are computed in
/// float32 as upstream (the covariance by one GEMM); the positive-definiteness test and the draw's Cholesky factor in
/// float64.
/// </remarks>
internal static class EmbeddingResize
{
    /// <summary>The factor on the old rows' covariance (transformers' epsilon).</summary>
    public const double CovarianceScale = 1e-9;

    /// <summary>
    /// The table <paramref name="weight"/> ([<paramref name="rows"/>, <paramref name="width"/>], row-major) resized to
    /// <paramref name="newRows"/> rows: the first min(rows, newRows) copied, the others drawn as described above.
    /// </summary>
    public static float[] Resize(ReadOnlySpan<float> weight, int rows, int width, int newRows, SkaldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(newRows, 1);
        if (weight.Length != (long)rows * width) throw new ArgumentException($"{weight.Length} values are not {rows} rows of {width}", nameof(weight));
        var result = new float[(long)newRows * width];
        weight[..(Math.Min(rows, newRows) * width)].CopyTo(result);
        if (newRows <= rows) return result;
        var mean = Mean(weight, rows, width);
        var factor = CholeskyOfScaledCovariance(weight, rows, width, mean);
        var z = new double[width];
        for (int r = rows; r < newRows; r++)
        {
            var row = result.AsSpan(r * width, width);
            if (factor is null)
            {
                mean.CopyTo(row);
                continue;
            }
            for (int j = 0; j < width; j++) z[j] = random.NextGaussian();
            for (int i = 0; i < width; i++)
            {
                double s = mean[i];
                for (int j = 0; j <= i; j++) s += factor[i * width + j] * z[j];
                row[i] = (float)s;
            }
        }
        return result;
    }

    /// <summary>The column means of the rows, in float32 as torch.mean over a float32 table.</summary>
    public static float[] Mean(ReadOnlySpan<float> weight, int rows, int width)
    {
        var sum = new double[width];
        for (int r = 0; r < rows; r++)
        {
            var row = weight.Slice(r * width, width);
            for (int i = 0; i < width; i++) sum[i] += row[i];
        }
        var mean = new float[width];
        for (int i = 0; i < width; i++) mean[i] = (float)(sum[i] / rows);
        return mean;
    }

    /// <summary>
    /// The lower Cholesky factor L (row-major, [width, width], L·Lᵀ = 1e-9·Cov) of the rows' scaled population
    /// covariance, or null when it is not positive definite.
    /// </summary>
    public static double[]? CholeskyOfScaledCovariance(ReadOnlySpan<float> weight, int rows, int width, ReadOnlySpan<float> mean)
    {
        var centered = new float[(long)rows * width];
        for (int r = 0; r < rows; r++)
        {
            var src = weight.Slice(r * width, width);
            var dst = centered.AsSpan(r * width, width);
            for (int i = 0; i < width; i++) dst[i] = src[i] - mean[i];
        }
        var covariance = new float[width * width];
        Blas.Sgemm(true, false, width, width, rows, 1f / rows, centered, width, centered, width, 0f, covariance, width);
        var l = new double[width * width];
        for (int i = 0; i < width; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                // The GEMM's two triangles may differ in the last bit; the lower one is read, as a Cholesky reads one triangle.
                double s = CovarianceScale * covariance[i * width + j];
                for (int k = 0; k < j; k++) s -= l[i * width + k] * l[j * width + k];
                if (i == j)
                {
                    if (!(s > 0)) return null;
                    l[i * width + i] = Math.Sqrt(s);
                }
                else
                {
                    l[i * width + j] = s / l[j * width + j];
                }
            }
        }
        return l;
    }
}
