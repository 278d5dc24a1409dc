using System.Numerics.Tensors;

namespace Skald.Tensors.Kernels;

/// <summary>Numerically stable softmax over the last dimension (subtracts the row max). x, y: [rows, cols].</summary>
public static unsafe class Softmax
{
    /// <summary>
    /// Forward (x and y may alias). SIMD per row, parallel over rows. A row whose entries are all −∞ becomes uniform
    /// (PyTorch would give NaN; masks in practice use a large finite negative bias).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        Check(x.Length, y.Length, rows, cols);
        if (rows == 0 || cols == 0) return;
        fixed (float* px = x, py = y)
        {
            if ((long)rows * cols < 2 * 16384 || Parallelism.MaxThreads == 1)
            {
                for (int r = 0; r < rows; r++) ForwardRow(px + (long)r * cols, py + (long)r * cols, cols);
                return;
            }
            Parallelism.For(rows, Math.Max(1, 16384 / cols), ((nint)px, (nint)py, cols), static (in (nint X, nint Y, int Cols) a, int r0, int r1) =>
            {
                for (int r = r0; r < r1; r++) ForwardRow((float*)a.X + (long)r * a.Cols, (float*)a.Y + (long)r * a.Cols, a.Cols);
            });
        }
    }

    /// <summary>Scalar twin of <see cref="Forward"/> (double accumulation).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ForwardReference(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            float max = float.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = MathF.Max(max, xr[c]);
            if (float.IsNegativeInfinity(max))
            {
                yr.Fill(1f / cols);
                continue;
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.Exp((double)xr[c] - max);
            for (int c = 0; c < cols; c++) yr[c] = (float)(Math.Exp((double)xr[c] - max) / sum);
        }
    }

    /// <summary>
    /// Backward from the forward OUTPUT y: dx = y ⊙ (dy − Σ_c dy·y), per row. y, dy, dx: [rows, cols]; dx overwritten
    /// (dx may alias dy).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols)
    {
        Check(y.Length, dy.Length, rows, cols);
        Check(y.Length, dx.Length, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * cols, cols);
            var dyr = dy.Slice(r * cols, cols);
            var dxr = dx.Slice(r * cols, cols);
            BackwardRow(yr, dyr, dxr);
        }
    }

    /// <summary>One row of the forward pass on raw pointers (x and y may alias).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardRow(float* x, float* y, int cols)
    {
        var xs = new ReadOnlySpan<float>(x, cols);
        var ys = new Span<float>(y, cols);
        float max = TensorPrimitives.Max(xs);
        if (float.IsNegativeInfinity(max))
        {
            // Every key masked with -inf: define the row as uniform rather than NaN.
            ys.Fill(1f / cols);
            return;
        }
        TensorPrimitives.Subtract(xs, max, ys);
        TensorPrimitives.Exp(ys, ys);
        float sum = TensorPrimitives.Sum(ys);
        TensorPrimitives.Multiply(ys, 1f / sum, ys);
    }

    /// <summary>One row of the backward pass (dx may alias dy).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void BackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        float dot = TensorPrimitives.Dot(dy, y);
        TensorPrimitives.Subtract(dy, dot, dx);
        TensorPrimitives.Multiply(dx, y, dx);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Check(int xLength, int yLength, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        long need = (long)rows * cols;
        if (xLength < need || yLength < need) throw new ArgumentException($"Spans need {need} elements.");
    }
}
