namespace Skald.Tensors.Autograd;

/// <summary>
/// sentence-transformers' SparseAutoEncoder with <c>normalize: true</c> (its <c>LN</c> and the undo in <c>decode</c>):
/// each row standardised by its own mean and unbiased standard deviation, and a reconstruction mapped back by the same
/// two numbers, the gradient flowing through both into the row.
/// https://github.com/UKPLab/sentence-transformers/blob/8e0345251f4c8e4611579da9347403ccfcbe9b97/sentence_transformers/sparse_encoder/models/SparseAutoEncoder.py
/// </summary>
public static partial class Ops
{
    /// <summary>
    /// stats [N, 2] of x [N, D]: per row its mean μ and unbiased standard deviation σ = √(Σ(x − μ)² / (D − 1)) (torch's
    /// <c>std</c>; D must be at least 2). Backward: dx_j += dμ / D + dσ · (x_j − μ) / ((D − 1) σ) (nothing through σ for
    /// a constant row, whose σ is 0).
    /// </summary>
    public static Variable RowStats(Tape tape, Variable x)
    {
        int n = x.Rows, d = x.Cols;
        if (d < 2) throw new ArgumentException($"a row of {d} value has no unbiased standard deviation", nameof(x));
        var stats = tape.NewVariable(n, 2);
        RowStatsForward(x.Span, stats.Span, n, d);
        if (tape.Records(stats)) RecordRowStats(tape, x, stats);
        return stats;
    }

    // RowStats' backward, in a method of its own (a closure per call only when recording).
    private static void RecordRowStats(Tape tape, Variable x, Variable stats) => tape.Record(stats, () =>
    {
        if (!x.RequiresGrad) return;
        int n = x.Rows, d = x.Cols;
        var g = tape.GradFor(x, out bool acc);
        if (!acc) g.AsSpan(0, n * d).Clear();
        RowStatsBackward(x.Span, stats.Span, stats.Grad, g, n, d);
    });

    /// <summary>
    /// y = (x − μ) / (σ + <paramref name="eps"/>) row by row, μ and σ from <paramref name="stats"/> [N, 2]
    /// (<see cref="RowStats"/>). Backward with q = σ + eps: dx += dy / q; dμ −= Σ dy / q; dσ −= Σ dy·(x − μ) / q².
    /// </summary>
    public static Variable Standardize(Tape tape, Variable x, Variable stats, float eps = 1e-5f)
    {
        int n = x.Rows, d = x.Cols;
        if (stats.Rows != n || stats.Cols != 2) throw new ArgumentException($"stats [{stats.Rows}, {stats.Cols}] for {n} rows", nameof(stats));
        var y = tape.NewVariable(n, d);
        var xs = x.Span;
        var ss = stats.Span;
        var ys = y.Span;
        for (int r = 0; r < n; r++)
        {
            double mu = ss[2 * r], q = ss[2 * r + 1] + (double)eps;
            for (int c = 0; c < d; c++) ys[r * d + c] = (float)((xs[r * d + c] - mu) / q);
        }
        if (tape.Records(y)) RecordStandardize(tape, x, stats, y, eps);
        return y;
    }

    private static void RecordStandardize(Tape tape, Variable x, Variable stats, Variable y, float eps) => tape.Record(y, () =>
    {
        int n = x.Rows, d = x.Cols;
        var dy = y.Grad;
        var xs = x.Span;
        var ss = stats.Span;
        float[]? dx = x.RequiresGrad ? tape.GradFor(x, out bool accX) is var gx && !accX ? Cleared(gx, n * d) : gx : null;
        float[]? ds = stats.RequiresGrad ? tape.GradFor(stats, out bool accS) is var gs && !accS ? Cleared(gs, n * 2) : gs : null;
        for (int r = 0; r < n; r++)
        {
            double mu = ss[2 * r], q = ss[2 * r + 1] + (double)eps, sum = 0, dot = 0;
            for (int c = 0; c < d; c++)
            {
                double g = dy[r * d + c];
                sum += g;
                dot += g * (xs[r * d + c] - mu);
                if (dx is not null) dx[r * d + c] += (float)(g / q);
            }
            if (ds is null) continue;
            ds[2 * r] -= (float)(sum / q);
            ds[2 * r + 1] -= (float)(dot / (q * q));
        }
    });

    /// <summary>
    /// The undo of <see cref="Standardize"/> on a reconstruction: y = r·σ + μ row by row. Backward: dr += dy·σ;
    /// dμ += Σ dy; dσ += Σ dy·r.
    /// </summary>
    public static Variable Destandardize(Tape tape, Variable r, Variable stats)
    {
        int n = r.Rows, d = r.Cols;
        if (stats.Rows != n || stats.Cols != 2) throw new ArgumentException($"stats [{stats.Rows}, {stats.Cols}] for {n} rows", nameof(stats));
        var y = tape.NewVariable(n, d);
        var rs = r.Span;
        var ss = stats.Span;
        var ys = y.Span;
        for (int row = 0; row < n; row++)
        {
            float mu = ss[2 * row], sigma = ss[2 * row + 1];
            for (int c = 0; c < d; c++) ys[row * d + c] = rs[row * d + c] * sigma + mu;
        }
        if (tape.Records(y)) RecordDestandardize(tape, r, stats, y);
        return y;
    }

    private static void RecordDestandardize(Tape tape, Variable r, Variable stats, Variable y) => tape.Record(y, () =>
    {
        int n = r.Rows, d = r.Cols;
        var dy = y.Grad;
        var rs = r.Span;
        var ss = stats.Span;
        float[]? dr = r.RequiresGrad ? tape.GradFor(r, out bool accR) is var gr && !accR ? Cleared(gr, n * d) : gr : null;
        float[]? ds = stats.RequiresGrad ? tape.GradFor(stats, out bool accS) is var gs && !accS ? Cleared(gs, n * 2) : gs : null;
        for (int row = 0; row < n; row++)
        {
            float sigma = ss[2 * row + 1];
            double sum = 0, dot = 0;
            for (int c = 0; c < d; c++)
            {
                float g = dy[row * d + c];
                sum += g;
                dot += (double)g * rs[row * d + c];
                if (dr is not null) dr[row * d + c] += g * sigma;
            }
            if (ds is null) continue;
            ds[2 * row] += (float)sum;
            ds[2 * row + 1] += (float)dot;
        }
    });

    /// <summary>Per row of x [N, D]: stats[2r] = mean, stats[2r + 1] = unbiased standard deviation (sums in double).</summary>
    internal static void RowStatsForward(ReadOnlySpan<float> x, Span<float> stats, int n, int d)
    {
        for (int r = 0; r < n; r++)
        {
            var row = x.Slice(r * d, d);
            double mean = 0, ss = 0;
            foreach (float v in row) mean += v;
            mean /= d;
            foreach (float v in row) ss += (v - mean) * (v - mean);
            stats[2 * r] = (float)mean;
            stats[2 * r + 1] = (float)Math.Sqrt(ss / (d - 1));
        }
    }

    /// <summary>dx_j += dμ / D + dσ · (x_j − μ) / ((D − 1) σ), per row (σ = 0: the dσ part left out).</summary>
    internal static void RowStatsBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> stats, ReadOnlySpan<float> dstats, Span<float> dx, int n, int d)
    {
        for (int r = 0; r < n; r++)
        {
            double mu = stats[2 * r], sigma = stats[2 * r + 1], dmu = dstats[2 * r], dsigma = dstats[2 * r + 1];
            double perSigma = sigma > 0 ? dsigma / ((d - 1) * sigma) : 0;
            for (int c = 0; c < d; c++) dx[r * d + c] += (float)(dmu / d + perSigma * (x[r * d + c] - mu));
        }
    }

    private static float[] Cleared(float[] buffer, int length)
    {
        buffer.AsSpan(0, length).Clear();
        return buffer;
    }
}
