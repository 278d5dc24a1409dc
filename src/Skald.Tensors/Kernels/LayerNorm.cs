namespace Skald.Tensors.Kernels;

/// <summary>Layer normalisation over the last dimension: y = (x - mean) · rstd · gamma + beta. x, y: [rows, cols].</summary>
public static class LayerNorm
{
    /// <summary>Forward. mean, rstd: [rows], kept for the backward pass.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> mean, Span<float> rstd, int rows, int cols, float eps)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            double m = 0;
            for (int c = 0; c < cols; c++) m += xr[c];
            m /= cols;
            double v = 0;
            for (int c = 0; c < cols; c++) { double d = xr[c] - m; v += d * d; }
            v /= cols;
            float s = (float)(1.0 / Math.Sqrt(v + eps));
            var yr = y.Slice(r * cols, cols);
            for (int c = 0; c < cols; c++) yr[c] = (float)((xr[c] - m) * s) * gamma[c] + beta[c];
            mean[r] = (float)m;
            rstd[r] = s;
        }
    }
}
