namespace Skald.Evaluation.Learning;

/// <summary>Settings of <see cref="LogisticRegression"/>.</summary>
/// <param name="C">Inverse L2 strength, as sklearn's <c>C</c> (default 1).</param>
/// <param name="MaxIterations">L-BFGS iterations (sklearn and MTEB: 100).</param>
/// <param name="Tolerance">Stop when the largest gradient component falls below this (sklearn: 1e-4).</param>
public sealed record LogisticRegressionOptions(double C = 1.0, int MaxIterations = 100, double Tolerance = 1e-4);

/// <summary>
/// Multinomial logistic regression (softmax + cross-entropy, L2 on the weights, unpenalised intercept) fitted by
/// L-BFGS: the model sklearn's <c>LogisticRegression(max_iter=100)</c> fits for MTEB's classification probe.
/// The objective is mean cross-entropy + ‖W‖²/(2·C·n), sklearn's minimiser. Fully deterministic: sequential
/// double-precision arithmetic, zero initialisation, no randomness.
/// </summary>
public sealed class LogisticRegression
{
    private readonly double[] weights; // [classes, dim + 1], last column = intercept
    private readonly int dim;

    private LogisticRegression(double[] weights, int classes, int dim)
    {
        this.weights = weights;
        Classes = classes;
        this.dim = dim;
    }

    /// <summary>Number of classes (labels are 0..Classes-1).</summary>
    public int Classes { get; }

    /// <summary>L-BFGS iterations used.</summary>
    public int Iterations { get; private init; }

    /// <summary>Fits on rows <paramref name="x"/> with labels in 0..<paramref name="classes"/>-1.</summary>
    public static LogisticRegression Fit(IReadOnlyList<float[]> x, IReadOnlyList<int> y, int classes, LogisticRegressionOptions? options = null)
    {
        options ??= new LogisticRegressionOptions();
        if (x.Count == 0 || x.Count != y.Count) throw new ArgumentException("need as many labels as rows, and at least one row");
        if (classes < 2) throw new ArgumentException("need at least two classes");
        int d = x[0].Length, p = classes * (d + 1);
        double lambda = 1.0 / (options.C * x.Count);
        double Objective(double[] w, double[] grad)
        {
            Array.Clear(grad);
            double loss = 0;
            var logits = new double[classes];
            for (int i = 0; i < x.Count; i++)
            {
                var row = x[i];
                double max = double.NegativeInfinity;
                for (int c = 0; c < classes; c++)
                {
                    int o = c * (d + 1);
                    double s = w[o + d];
                    for (int j = 0; j < d; j++) s += w[o + j] * row[j];
                    logits[c] = s;
                    max = Math.Max(max, s);
                }
                double z = 0;
                for (int c = 0; c < classes; c++) z += Math.Exp(logits[c] - max);
                double logZ = max + Math.Log(z);
                loss += logZ - logits[y[i]];
                for (int c = 0; c < classes; c++)
                {
                    double g = (Math.Exp(logits[c] - logZ) - (c == y[i] ? 1 : 0)) / x.Count;
                    int o = c * (d + 1);
                    for (int j = 0; j < d; j++) grad[o + j] += g * row[j];
                    grad[o + d] += g;
                }
            }
            loss /= x.Count;
            for (int c = 0; c < classes; c++)
            {
                int o = c * (d + 1);
                for (int j = 0; j < d; j++)
                {
                    loss += 0.5 * lambda * w[o + j] * w[o + j];
                    grad[o + j] += lambda * w[o + j];
                }
            }
            return loss;
        }
        var (weights, iterations) = Lbfgs.Minimize(p, Objective, options.MaxIterations, options.Tolerance);
        return new LogisticRegression(weights, classes, d) { Iterations = iterations };
    }

    /// <summary>Most probable class of each row (lowest index on exact ties).</summary>
    public int[] Predict(IReadOnlyList<float[]> x)
    {
        var result = new int[x.Count];
        for (int i = 0; i < x.Count; i++)
        {
            if (x[i].Length != dim) throw new ArgumentException($"row {i} has {x[i].Length} values, the model {dim}");
            double best = double.NegativeInfinity;
            for (int c = 0; c < Classes; c++)
            {
                int o = c * (dim + 1);
                double s = weights[o + dim];
                for (int j = 0; j < dim; j++) s += weights[o + j] * x[i][j];
                if (s > best) { best = s; result[i] = c; }
            }
        }
        return result;
    }
}

/// <summary>Limited-memory BFGS (two-loop recursion, m = 10) with a backtracking Armijo line search.</summary>
internal static class Lbfgs
{
    public static (double[] X, int Iterations) Minimize(int n, Func<double[], double[], double> f, int maxIterations, double tolerance)
    {
        const int m = 10;
        var x = new double[n];
        var g = new double[n];
        double fx = f(x, g);
        var s = new List<double[]>();
        var yv = new List<double[]>();
        var rho = new List<double>();
        var xNew = new double[n];
        var gNew = new double[n];
        int it = 0;
        for (; it < maxIterations; it++)
        {
            if (g.Max(Math.Abs) < tolerance) break;
            // Two-loop recursion: d = -H g.
            var q = (double[])g.Clone();
            var alpha = new double[s.Count];
            for (int i = s.Count - 1; i >= 0; i--)
            {
                alpha[i] = rho[i] * Dot(s[i], q);
                Axpy(-alpha[i], yv[i], q);
            }
            double gamma = s.Count > 0 ? Dot(s[^1], yv[^1]) / Dot(yv[^1], yv[^1]) : 1.0 / Math.Max(1e-12, Math.Sqrt(Dot(g, g)));
            for (int i = 0; i < n; i++) q[i] *= gamma;
            for (int i = 0; i < s.Count; i++)
            {
                double beta = rho[i] * Dot(yv[i], q);
                Axpy(alpha[i] - beta, s[i], q);
            }
            for (int i = 0; i < n; i++) q[i] = -q[i];
            double slope = Dot(g, q);
            if (slope >= 0)
            {
                // Not a descent direction: restart from steepest descent.
                s.Clear(); yv.Clear(); rho.Clear();
                for (int i = 0; i < n; i++) q[i] = -g[i];
                slope = Dot(g, q);
            }
            double step = 1, fNew = 0;
            bool accepted = false;
            for (int ls = 0; ls < 40; ls++)
            {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + step * q[i];
                fNew = f(xNew, gNew);
                if (fNew <= fx + 1e-4 * step * slope) { accepted = true; break; }
                step *= 0.5;
            }
            if (!accepted) break;
            var sk = new double[n];
            var yk = new double[n];
            for (int i = 0; i < n; i++) { sk[i] = xNew[i] - x[i]; yk[i] = gNew[i] - g[i]; }
            double sy = Dot(sk, yk);
            if (sy > 1e-12)
            {
                if (s.Count == m) { s.RemoveAt(0); yv.RemoveAt(0); rho.RemoveAt(0); }
                s.Add(sk); yv.Add(yk); rho.Add(1 / sy);
            }
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            bool converged = Math.Abs(fx - fNew) <= 1e-12 * Math.Max(1, Math.Abs(fx));
            fx = fNew;
            if (converged) { it++; break; }
        }
        return (x, it);
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += a * x[i];
    }
}
