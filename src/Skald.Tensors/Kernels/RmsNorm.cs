using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Root-mean-square normalisation over the last dimension (Llama's LlamaRMSNorm, T5LayerNorm; Gemma's GemmaRMSNorm with
/// <c>weightOffset</c> 1): with r = 1/√(mean(x²) + eps), y = (x·r) ⊙ (weightOffset + w). x, y: [rows, cols]; w: [cols].
/// No mean is subtracted and there is no bias. Computed in float32 as transformers does (it upcasts to float32).
/// </summary>
public static unsafe class RmsNorm
{
    /// <summary>Forward (SIMD per row, parallel over rows). rstd: [rows], kept for the backward pass. x and y may alias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> rstd,
        int rows, int cols, float eps, float weightOffset = 0f)
    {
        Check(x.Length, y.Length, weight.Length, rstd.Length, rows, cols);
        if (rows == 0 || cols == 0) return;
        fixed (float* px = x, pw = weight, py = y, pr = rstd)
        {
            Parallelism.For(rows, MinRows(cols), new ForwardArgs((nint)px, (nint)pw, (nint)py, (nint)pr, cols, eps, weightOffset),
                static (in ForwardArgs a, int r0, int r1) =>
                {
                    for (int r = r0; r < r1; r++)
                        ForwardRow((float*)a.X + (long)r * a.Cols, (float*)a.W, (float*)a.Y + (long)r * a.Cols, (float*)a.R + r,
                            a.Cols, a.Eps, a.WeightOffset);
                });
        }
    }

    /// <summary>Scalar double-precision twin of <see cref="Forward"/> (the tests' reference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y,
        Span<float> rstd, int rows, int cols, float eps, float weightOffset = 0f)
    {
        Check(x.Length, y.Length, weight.Length, rstd.Length, rows, cols);
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int c = 0; c < cols; c++) ss += (double)x[r * cols + c] * x[r * cols + c];
            double s = 1.0 / Math.Sqrt(ss / cols + eps);
            for (int c = 0; c < cols; c++) y[r * cols + c] = (float)(x[r * cols + c] * s * (weightOffset + (double)weight[c]));
            rstd[r] = (float)s;
        }
    }

    /// <summary>
    /// Backward. dy, x, dx: [rows, cols]; rstd: [rows] from <see cref="Forward"/>. Overwrites dx (dx may alias dy);
    /// ACCUMULATES into dweight: [cols] (skipped when empty). With x̂ = x·r and g = dy ⊙ (weightOffset + w):
    /// dx = r · (g − x̂ · mean(g ⊙ x̂)), dweight += Σ_rows dy ⊙ x̂.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> rstd, Span<float> dx, Span<float> dweight, int rows, int cols, float weightOffset = 0f)
    {
        Check(x.Length, dy.Length, weight.Length, rstd.Length, rows, cols);
        if (dx.Length < (long)rows * cols) throw new ArgumentException("dx is too short.", nameof(dx));
        bool param = !dweight.IsEmpty;
        if (param && dweight.Length < cols) throw new ArgumentException("dweight needs cols elements (or empty).", nameof(dweight));
        if (rows == 0 || cols == 0) return;
        fixed (float* pdy = dy, px = x, pw = weight, pr = rstd, pdx = dx)
        {
            nint idy = (nint)pdy, ix = (nint)px, iw = (nint)pw, ir = (nint)pr, idx = (nint)pdx;
            if (!param)
            {
                Parallelism.For(rows, MinRows(cols), (r0, r1) => BackwardRows(r0, r1, null));
                return;
            }
            // dweight: per-block partials summed in block order (the same bytes at any thread count).
            float[] sum = ArrayPool<float>.Shared.Rent(cols);
            Parallelism.ForReduce(rows, MinRows(cols), cols, sum, (r0, r1, partial) =>
            {
                fixed (float* acc = partial) BackwardRows(r0, r1, acc);
            });
            TensorPrimitives.Add(dweight[..cols], sum.AsSpan(0, cols), dweight[..cols]);
            ArrayPool<float>.Shared.Return(sum);

            void BackwardRows(int r0, int r1, float* dw)
            {
                for (int r = r0; r < r1; r++)
                {
                    long o = (long)r * cols;
                    BackwardRow((float*)idy + o, (float*)ix + o, (float*)iw, ((float*)ir)[r], (float*)idx + o, dw, cols,
                        weightOffset);
                }
            }
        }
    }

    /// <summary>Scalar double-precision twin of <see cref="Backward"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardReference(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> rstd, Span<float> dx, Span<float> dweight, int rows, int cols, float weightOffset = 0f)
    {
        for (int r = 0; r < rows; r++)
        {
            double s = rstd[r], dot = 0;
            for (int c = 0; c < cols; c++) dot += dy[r * cols + c] * (weightOffset + (double)weight[c]) * x[r * cols + c] * s;
            dot /= cols;
            for (int c = 0; c < cols; c++)
            {
                double xh = x[r * cols + c] * s, d = dy[r * cols + c];
                if (!dweight.IsEmpty) dweight[c] += (float)(d * xh);
                dx[r * cols + c] = (float)(s * (d * (weightOffset + (double)weight[c]) - xh * dot));
            }
        }
    }

    // Forward's arguments for its static parallel body (no closure per call).
    private readonly record struct ForwardArgs(nint X, nint W, nint Y, nint R, int Cols, float Eps, float WeightOffset);

    private static int MinRows(int cols) => Math.Max(1, 16384 / Math.Max(cols, 1));

    private static void Check(int xLength, int yLength, int wLength, int rstdLength, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        long need = (long)rows * cols;
        if (xLength < need || yLength < need) throw new ArgumentException($"Spans need {need} elements.");
        if (wLength < cols || rstdLength < rows) throw new ArgumentException("weight needs cols elements, rstd needs rows elements.");
    }

    /// <summary>One row of <see cref="Forward"/> (also a fused block's row finish: the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardRow(float* x, float* w, float* y, float* rstd, int cols, float eps, float offset)
    {
        float ss = TensorPrimitives.SumOfSquares(new ReadOnlySpan<float>(x, cols));
        float s = 1f / MathF.Sqrt(ss / cols + eps);
        int vw = Vector<float>.Count, c = 0;
        var sv = new Vector<float>(s);
        var ov = new Vector<float>(offset);
        for (; c <= cols - vw; c += vw) (Vector.Load(x + c) * sv * (ov + Vector.Load(w + c))).Store(y + c);
        for (; c < cols; c++) y[c] = x[c] * s * (offset + w[c]);
        *rstd = s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(float* dy, float* x, float* w, float s, float* dx, float* dw, int cols, float offset)
    {
        int vw = Vector<float>.Count, c = 0;
        var sv = new Vector<float>(s);
        var ov = new Vector<float>(offset);
        var acc = Vector<float>.Zero;
        for (; c <= cols - vw; c += vw)
        {
            var d = Vector.Load(dy + c);
            var xh = Vector.Load(x + c) * sv;
            acc = Vector.FusedMultiplyAdd(d * (ov + Vector.Load(w + c)), xh, acc);
            if (dw != null) Vector.FusedMultiplyAdd(d, xh, Vector.Load(dw + c)).Store(dw + c);
        }
        float dot = Vector.Sum(acc);
        for (int t = c; t < cols; t++)
        {
            float xh = x[t] * s;
            dot += dy[t] * (offset + w[t]) * xh;
            if (dw != null) dw[t] += dy[t] * xh;
        }
        float m = dot / cols;
        var mv = new Vector<float>(m);
        for (c = 0; c <= cols - vw; c += vw)
        {
            var xh = Vector.Load(x + c) * sv;
            (sv * (Vector.Load(dy + c) * (ov + Vector.Load(w + c)) - xh * mv)).Store(dx + c);
        }
        for (; c < cols; c++) dx[c] = s * (dy[c] * (offset + w[c]) - x[c] * s * m);
    }
}
