namespace Skald.Evaluation.Learning;

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
