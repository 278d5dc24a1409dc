using System.Numerics.Tensors;

namespace Skald.Training.Static;

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
