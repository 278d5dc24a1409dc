using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Skald.Tensors.Kernels;

/// <summary>
/// Layer normalisation over the last dimension: y = (x - mean) · rstd · gamma + beta. x, y: [rows, cols]. An empty
/// beta is a LayerNorm without bias (torch's <c>nn.LayerNorm(bias=False)</c>, ModernBERT's norm_bias false): y = x̂ · gamma.
/// </summary>
public static unsafe partial class LayerNorm
{
    /// <summary>Forward (SIMD, parallel over rows). gamma, beta: [cols] (beta may be empty: no bias). mean, rstd: [rows], kept for the backward pass.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> mean, Span<float> rstd, int rows, int cols, float eps)
    {
        Check(x, y, rows, cols);
        if (gamma.Length < cols || (!beta.IsEmpty && beta.Length < cols) || mean.Length < rows || rstd.Length < rows)
            throw new ArgumentException("gamma/beta need cols elements (beta may be empty), mean/rstd need rows elements.");
        if (rows == 0 || cols == 0) return;
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, pr = rstd)
        {
            // An empty span pins to null: no bias.
            var args = new RowArgs((nint)px, 0, (nint)pg, beta.IsEmpty ? 0 : (nint)pb, (nint)py, (nint)pm, (nint)pr, cols, eps, 0f, 0);
            Parallelism.For(rows, MinRows(cols), args, static (in RowArgs a, int r0, int r1) =>
            {
                int cols = a.Cols;
                for (int r = r0; r < r1; r++)
                {
                    if (Vector512.IsHardwareAccelerated)
                        ForwardRow512((float*)a.X + (long)r * cols, null, (float*)a.Gamma, (float*)a.Beta, (float*)a.Y + (long)r * cols,
                            (float*)a.Mean + r, (float*)a.Rstd + r, cols, a.Eps);
                    else
                        ForwardRow((float*)a.X + (long)r * cols, (float*)a.Gamma, (float*)a.Beta, (float*)a.Y + (long)r * cols,
                            (float*)a.Mean + r, (float*)a.Rstd + r, cols, a.Eps);
                }
            });
        }
    }

    /// <summary>Scalar double-precision twin of <see cref="Forward"/> (the tests' reference).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ForwardReference(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
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
            for (int c = 0; c < cols; c++) yr[c] = (float)((xr[c] - m) * s) * gamma[c] + (beta.IsEmpty ? 0f : beta[c]);
            mean[r] = (float)m;
            rstd[r] = s;
        }
    }

    /// <summary>
    /// Backward. dy, x, dx: [rows, cols]; gamma: [cols]; mean, rstd: [rows] from <see cref="Forward"/>.
    /// Overwrites dx (skipped when empty); ACCUMULATES into dgamma, dbeta: [cols] (skipped when empty; dbeta alone may
    /// be empty for a LayerNorm without bias).
    /// With x̂ = (x − mean)·rstd and g = dy·gamma: dx = rstd · (g − mean(g) − x̂ · mean(g·x̂)), dgamma += Σ_rows dy·x̂,
    /// dbeta += Σ_rows dy.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx, Span<float> dgamma, Span<float> dbeta,
        int rows, int cols) => Backward(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols, default, false, 0f, 0UL);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, Span<float> dx, Span<float> dgamma, Span<float> dbeta,
        int rows, int cols, Span<float> residualGrad, bool accumulate, float dropout, ulong seed)
    {
        Check(x, dy, rows, cols);
        if (!dx.IsEmpty && dx.Length < (long)rows * cols) throw new ArgumentException("dx is too short.", nameof(dx));
        if (gamma.Length < cols || mean.Length < rows || rstd.Length < rows)
            throw new ArgumentException("gamma needs cols elements, mean/rstd need rows elements.");
        bool param = !dgamma.IsEmpty || !dbeta.IsEmpty;
        if (param && (dgamma.Length < cols || (!dbeta.IsEmpty && dbeta.Length < cols)))
            throw new ArgumentException("dgamma and dbeta need cols elements (or both empty, or dbeta alone empty).");
        if (rows == 0 || cols == 0) return;
        fixed (float* pdy = dy, px = x, pg = gamma, pm = mean, pr = rstd, pdx = dx, pres = residualGrad)
        {
            // The state overloads with static bodies: a call allocates nothing once the thread has run one (training's
            // steady state).
            var a = new BackwardArgs((nint)pdy, (nint)px, (nint)pg, (nint)pm, (nint)pr, dx.IsEmpty ? 0 : (nint)pdx,
                residualGrad.IsEmpty ? 0 : (nint)pres, cols, accumulate, dropout, seed);
            if (!param)
            {
                Parallelism.For(rows, MinRows(cols), a, static (in BackwardArgs a, int r0, int r1) => BackwardRows(a, r0, r1, null, null));
                return;
            }
            // dgamma, dbeta: per-block partials summed in block order (the same bytes at any thread count).
            float[] sum = ArrayPool<float>.Shared.Rent(2 * cols);
            Parallelism.ForReduce(rows, MinRows(cols), 2 * cols, sum, a, static (in BackwardArgs a, int r0, int r1, Span<float> partial) =>
            {
                fixed (float* acc = partial) BackwardRows(a, r0, r1, acc, acc + a.Cols);
            });
            TensorPrimitives.Add(dgamma[..cols], sum.AsSpan(0, cols), dgamma[..cols]);
            if (!dbeta.IsEmpty) TensorPrimitives.Add(dbeta[..cols], sum.AsSpan(cols, cols), dbeta[..cols]);
            ArrayPool<float>.Shared.Return(sum);
        }
    }

    // Rows [r0, r1) of Backward: each row's dx (Dx null: none) and dgamma/dbeta partials, then the residual's gradient
    // and dx's dropout when asked.
    private static void BackwardRows(in BackwardArgs a, int r0, int r1, float* dg, float* db)
    {
        int cols = a.Cols;
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * cols;
            float* dx = a.Dx == 0 ? null : (float*)a.Dx + o;
            BackwardRow((float*)a.Dy + o, (float*)a.X + o, (float*)a.Gamma, ((float*)a.Mean)[r], ((float*)a.Rstd)[r], dx, dg, db, cols);
            if (dx != null && (a.Residual != 0 || a.Dropout > 0f))
                ResidualAndDropoutRow((float*)a.Dx + o, (float*)a.Residual, o, cols, a.Accumulate, a.Dropout, a.Seed);
        }
    }

    private readonly record struct BackwardArgs(nint Dy, nint X, nint Gamma, nint Mean, nint Rstd, nint Dx, nint Residual, int Cols,
        bool Accumulate, float Dropout, ulong Seed);

    /// <summary>
    /// BERT's sub-layer output in one pass over the rows (parallel): x ← dropout(x) + residual in place (the mask of
    /// <see cref="Dropout.Apply"/> with <paramref name="seed"/> over the whole buffer; p = 0: no dropout), then
    /// y = LayerNorm(x), mean and rstd kept. The same bytes as <see cref="Dropout.Apply"/>, a vector add and
    /// <see cref="Forward"/> in turn, without three passes over the activations (one of them on one core).
    /// </summary>
    internal static void AddDropoutForward(Span<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> beta, Span<float> y, Span<float> mean, Span<float> rstd, int rows, int cols, float eps,
        float dropout, ulong seed)
    {
        Check(x, y, rows, cols);
        if (residual.Length < (long)rows * cols || gamma.Length < cols || (!beta.IsEmpty && beta.Length < cols)
            || mean.Length < rows || rstd.Length < rows)
            throw new ArgumentException("residual needs rows·cols elements, gamma/beta cols (beta may be empty), mean/rstd rows.");
        if (rows == 0 || cols == 0) return;
        fixed (float* px = x, pres = residual, pg = gamma, pb = beta, py = y, pm = mean, pr = rstd)
        {
            var args = new RowArgs((nint)px, (nint)pres, (nint)pg, beta.IsEmpty ? 0 : (nint)pb, (nint)py, (nint)pm, (nint)pr, cols, eps,
                dropout, seed);
            Parallelism.For(rows, MinRows(cols), args, static (in RowArgs a, int r0, int r1) =>
            {
                int cols = a.Cols;
                if (a.Dropout > 0f)
                {
                    var block = new Span<float>((float*)a.X + (long)r0 * cols, (r1 - r0) * cols);
                    Dropout.ApplySlice(block, block, a.Dropout, a.Seed, (long)r0 * cols);
                }
                for (int r = r0; r < r1; r++)
                    AddForwardRow((float*)a.X + (long)r * cols, (float*)a.Residual + (long)r * cols, (float*)a.Gamma, (float*)a.Beta,
                        (float*)a.Y + (long)r * cols, (float*)a.Mean + r, (float*)a.Rstd + r, cols, a.Eps);
            });
        }
    }

    /// <summary>
    /// Rows [r0, r1) of y [rows, cols] in place: y = LayerNorm(y + residual) (residual may be null: none), each row as
    /// <see cref="Forward"/> computes it (the same bytes as adding the residual with a vector add, then
    /// <see cref="Forward"/>). For a GEMM that hands over its finished rows (<see cref="LinearAddLayerNorm"/>).
    /// </summary>
    internal static void AddForwardRowsInPlace(float* y, float* residual, float* gamma, float* beta, float* mean,
        float* rstd, int r0, int r1, int cols, float eps)
    {
        for (int r = r0; r < r1; r++)
        {
            float* row = y + (long)r * cols;
            AddForwardRow(row, residual == null ? null : residual + (long)r * cols, gamma, beta, row, mean + r, rstd + r, cols, eps);
        }
    }

    /// <summary>One row: x += residual in place (null: none), then y = LayerNorm(x) (y may be x).</summary>
    private static void AddForwardRow(float* x, float* residual, float* gamma, float* beta, float* y, float* mean,
        float* rstd, int cols, float eps)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            ForwardRow512(x, residual, gamma, beta, y, mean, rstd, cols, eps);
            return;
        }
        if (residual != null)
        {
            var span = new Span<float>(x, cols);
            TensorPrimitives.Add(span, new ReadOnlySpan<float>(residual, cols), span);
        }
        ForwardRow(x, gamma, beta, y, mean, rstd, cols, eps);
    }

    /// <summary>
    /// One row on 16 lanes with four independent accumulator chains (the sums are throughput-bound, not bound by one
    /// FMA chain's latency): pass 1 adds the residual when there is one (x += residual, stored: the row is in place)
    /// and sums x; pass 2 sums (x − mean)²; pass 3 writes y = (x − mean)·rstd·gamma (+ beta). The same two-pass
    /// mean and variance as <see cref="ForwardRow"/>, summed in another order.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRow512(float* x, float* residual, float* gamma, float* beta, float* y, float* mean,
        float* rstd, int cols, float eps)
    {
        var a0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero;
        int c = 0;
        for (; c <= cols - 64; c += 64)
        {
            var v0 = Vector512.Load(x + c);
            var v1 = Vector512.Load(x + c + 16);
            var v2 = Vector512.Load(x + c + 32);
            var v3 = Vector512.Load(x + c + 48);
            if (residual != null)
            {
                v0 += Vector512.Load(residual + c);
                v1 += Vector512.Load(residual + c + 16);
                v2 += Vector512.Load(residual + c + 32);
                v3 += Vector512.Load(residual + c + 48);
                v0.Store(x + c);
                v1.Store(x + c + 16);
                v2.Store(x + c + 32);
                v3.Store(x + c + 48);
            }
            a0 += v0;
            a1 += v1;
            a2 += v2;
            a3 += v3;
        }
        for (; c <= cols - 16; c += 16)
        {
            var v = Vector512.Load(x + c);
            if (residual != null)
            {
                v += Vector512.Load(residual + c);
                v.Store(x + c);
            }
            a0 += v;
        }
        float sum = Vector512.Sum((a0 + a1) + (a2 + a3));
        for (; c < cols; c++)
        {
            if (residual != null) x[c] += residual[c];
            sum += x[c];
        }
        float m = sum / cols;
        var mv = Vector512.Create(m);
        a0 = a1 = a2 = a3 = Vector512<float>.Zero;
        for (c = 0; c <= cols - 64; c += 64)
        {
            var d0 = Vector512.Load(x + c) - mv;
            var d1 = Vector512.Load(x + c + 16) - mv;
            var d2 = Vector512.Load(x + c + 32) - mv;
            var d3 = Vector512.Load(x + c + 48) - mv;
            a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
            a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            a2 = Vector512.FusedMultiplyAdd(d2, d2, a2);
            a3 = Vector512.FusedMultiplyAdd(d3, d3, a3);
        }
        for (; c <= cols - 16; c += 16)
        {
            var d = Vector512.Load(x + c) - mv;
            a0 = Vector512.FusedMultiplyAdd(d, d, a0);
        }
        double v2s = Vector512.Sum((a0 + a1) + (a2 + a3));
        for (; c < cols; c++) { double d = x[c] - m; v2s += d * d; }
        float s = (float)(1.0 / Math.Sqrt(v2s / cols + eps));
        var sv = Vector512.Create(s);
        for (c = 0; c <= cols - 16; c += 16)
        {
            var xh = (Vector512.Load(x + c) - mv) * sv;
            (beta == null ? xh * Vector512.Load(gamma + c) : Vector512.FusedMultiplyAdd(xh, Vector512.Load(gamma + c), Vector512.Load(beta + c)))
                .Store(y + c);
        }
        for (; c < cols; c++) y[c] = beta == null ? (x[c] - m) * s * gamma[c] : (x[c] - m) * s * gamma[c] + beta[c];
        *mean = m;
        *rstd = s;
    }

    // The forward kernels' arguments for their static parallel bodies (no closure per call); a zero Beta or Residual is none.
    private readonly record struct RowArgs(nint X, nint Residual, nint Gamma, nint Beta, nint Y, nint Mean, nint Rstd, int Cols,
        float Eps, float Dropout, ulong Seed);

    private static int MinRows(int cols) => Math.Max(1, 16384 / Math.Max(cols, 1));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Check(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows));
        long need = (long)rows * cols;
        if (x.Length < need || y.Length < need) throw new ArgumentException($"Spans need {need} elements.");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRow(float* x, float* gamma, float* beta, float* y, float* mean, float* rstd, int cols,
        float eps)
    {
        var xs = new ReadOnlySpan<float>(x, cols);
        float m = TensorPrimitives.Sum(xs) / cols;
        int w = Vector<float>.Count, c = 0;
        var mv = new Vector<float>(m);
        var acc = Vector<float>.Zero;
        for (; c <= cols - w; c += w)
        {
            var d = Vector.Load(x + c) - mv;
            acc = Vector.FusedMultiplyAdd(d, d, acc);
        }
        double v = Vector.Sum(acc);
        for (; c < cols; c++) { double d = x[c] - m; v += d * d; }
        float s = (float)(1.0 / Math.Sqrt(v / cols + eps));
        var sv = new Vector<float>(s);
        if (beta == null)
        {
            // No bias (norm_bias false): y = x̂ · gamma.
            for (c = 0; c <= cols - w; c += w) ((Vector.Load(x + c) - mv) * sv * Vector.Load(gamma + c)).Store(y + c);
            for (; c < cols; c++) y[c] = (x[c] - m) * s * gamma[c];
        }
        else
        {
            for (c = 0; c <= cols - w; c += w)
            {
                var xh = (Vector.Load(x + c) - mv) * sv;
                Vector.FusedMultiplyAdd(xh, Vector.Load(gamma + c), Vector.Load(beta + c)).Store(y + c);
            }
            for (; c < cols; c++) y[c] = (x[c] - m) * s * gamma[c] + beta[c];
        }
        *mean = m;
        *rstd = s;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRow(float* dy, float* x, float* gamma, float m, float s, float* dx, float* dgamma,
        float* dbeta, int cols)
    {
        int w = Vector<float>.Count, c = 0;
        var mv = new Vector<float>(m);
        var sv = new Vector<float>(s);
        var s1 = Vector<float>.Zero;
        var s2 = Vector<float>.Zero;
        for (; c <= cols - w; c += w)
        {
            var d = Vector.Load(dy + c);
            var xh = (Vector.Load(x + c) - mv) * sv;
            var g = d * Vector.Load(gamma + c);
            s1 += g;
            s2 = Vector.FusedMultiplyAdd(g, xh, s2);
            if (dgamma != null)
            {
                Vector.FusedMultiplyAdd(d, xh, Vector.Load(dgamma + c)).Store(dgamma + c);
                (Vector.Load(dbeta + c) + d).Store(dbeta + c);
            }
        }
        float sum1 = Vector.Sum(s1), sum2 = Vector.Sum(s2);
        for (int t = c; t < cols; t++)
        {
            float xh = (x[t] - m) * s, g = dy[t] * gamma[t];
            sum1 += g;
            sum2 += g * xh;
            if (dgamma != null)
            {
                dgamma[t] += dy[t] * xh;
                dbeta[t] += dy[t];
            }
        }
        if (dx == null) return;
        float a = sum1 / cols, b = sum2 / cols;
        var av = new Vector<float>(a);
        var bv = new Vector<float>(b);
        for (c = 0; c <= cols - w; c += w)
        {
            var xh = (Vector.Load(x + c) - mv) * sv;
            var g = Vector.Load(dy + c) * Vector.Load(gamma + c);
            (sv * (g - av - xh * bv)).Store(dx + c);
        }
        for (; c < cols; c++)
        {
            float xh = (x[c] - m) * s;
            dx[c] = s * (dy[c] * gamma[c] - a - xh * b);
        }
    }
}
