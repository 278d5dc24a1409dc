namespace Skald.Evaluation.Learning;

/// <summary>Limited-memory BFGS (two-loop recursion, m = 10) with a backtracking Armijo line search.</summary>
internal static class Lbfgs
{
    /// <summary>
    /// Minimises <paramref name="f"/> (which returns the value at x and writes the gradient into its second argument)
    /// from x = 0, stopping when the largest gradient component is below <paramref name="tolerance"/>, after
    /// <paramref name="maxIterations"/> iterations, or when the line search finds no decrease.
    /// </summary>
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
