namespace Skald.Tensors.Kernels;

/// <summary>Numerically stable softmax over the last dimension (subtracts the row max). x, y: [rows, cols].</summary>
public static class Softmax
{
    /// <summary>Forward (x and y may alias).</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = MathF.Max(max, xr[c]);
            double sum = 0;
            for (int c = 0; c < cols; c++) { float e = MathF.Exp(xr[c] - max); yr[c] = e; sum += e; }
            float inv = (float)(1.0 / sum);
            for (int c = 0; c < cols; c++) yr[c] *= inv;
        }
    }
}
