namespace Skald.Training.Losses;

/// <summary>
/// The reconstruction terms of sentence-transformers' CSRLoss for one column, a pure function of the autoencoder's
/// outputs (CSRReconstructionLoss.compute_loss_from_embeddings,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/losses/CSRLoss.py).
/// With x the dense embedding [B, D], x̂_k, x̂_4k, x̂_aux the reconstructions and N = B·D:
/// <code>
/// L_k   = mse(x, x̂_k) = Σ (x − x̂_k)² / N                    dL/dx̂_k = −2(x − x̂_k)/N,  dL/dx = +2(x − x̂_k)/N
/// L_4k  = mse(x, x̂_4k)                                        (the same with x̂_4k)
/// L_aux = nmse(x̂_aux, t),  t = x − (x̂_k − pre_bias), the x̂_k part a constant (detached)
///       = mse(x̂_aux, t) / mse(t̄, t),  t̄ the column means of t over the rows
/// dL_aux/dx̂_aux = 2(x̂_aux − t)/(N·den)
/// dL_aux/dt     = −2(x̂_aux − t)/(N·den) + (num/den²)·2(t̄ − t)/N     (t̄'s own dependence on t cancels: Σ_b (t̄ − t_b) = 0)
/// dL_aux/dx     = dL_aux/dt
/// </code>
/// Each term is returned unweighted; the weights (CSRLoss's 1, 1/8 and β, over the number of columns) scale the
/// gradients added here. Where t has no variance over the rows (a batch of one row) L_aux is 0 with no gradient, where
/// sentence-transformers divides by zero.
/// </summary>
public static class CsrReconstruction
{
    /// <summary>
    /// The three terms of one column; adds <paramref name="weights"/> · their gradients to <paramref name="dx"/>,
    /// <paramref name="dk"/>, <paramref name="d4k"/> and <paramref name="daux"/> (all [rows, dim]).
    /// </summary>
    public static (double K, double K4, double Aux) Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> reconK, ReadOnlySpan<float> recon4K,
        ReadOnlySpan<float> reconAux, ReadOnlySpan<float> preBias, int rows, int dim, (float K, float K4, float Aux) weights,
        Span<float> dx, Span<float> dk, Span<float> d4k, Span<float> daux)
    {
        int n = rows * dim;
        if (x.Length < n || reconK.Length < n || recon4K.Length < n || reconAux.Length < n || preBias.Length != dim
            || dx.Length < n || dk.Length < n || d4k.Length < n || daux.Length < n)
            throw new ArgumentException("every span holds [rows, dim] values (pre_bias [dim])");
        double lk = 0, l4k = 0;
        for (int i = 0; i < n; i++)
        {
            double e = x[i] - reconK[i], f = x[i] - recon4K[i];
            lk += e * e;
            l4k += f * f;
        }
        lk /= n;
        l4k /= n;
        // t = x − (x̂_k − pre_bias): its column means, then the numerator and denominator of the normalised error.
        var mean = new double[dim];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < dim; c++) mean[c] += Target(x, reconK, preBias, r, c, dim);
        }
        for (int c = 0; c < dim; c++) mean[c] /= rows;
        double num = 0, den = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < dim; c++)
            {
                double t = Target(x, reconK, preBias, r, c, dim);
                double a = reconAux[r * dim + c] - t, m = mean[c] - t;
                num += a * a;
                den += m * m;
            }
        }
        num /= n;
        den /= n;
        // One row (a batch's remainder), or rows whose residuals are all equal, leave nothing to normalise by:
        // sentence-transformers' quotient is then infinite or NaN and ruins the weights; the term is 0 instead.
        bool normalisable = den > 0;
        if (!normalisable) (num, den) = (0, 1);
        double aux = num / den;
        double gk = 2.0 * weights.K / n, g4k = 2.0 * weights.K4 / n, gAux = normalisable ? 2.0 * weights.Aux / (n * den) : 0, gDen = 2.0 * weights.Aux * num / (den * den * n);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < dim; c++)
            {
                int i = r * dim + c;
                double t = Target(x, reconK, preBias, r, c, dim);
                double ek = x[i] - reconK[i], e4k = x[i] - recon4K[i], a = reconAux[i] - t;
                dk[i] -= (float)(gk * ek);
                d4k[i] -= (float)(g4k * e4k);
                daux[i] += (float)(gAux * a);
                dx[i] += (float)(gk * ek + g4k * e4k - gAux * a + gDen * (mean[c] - t));
            }
        }
        return (lk, l4k, aux);
    }

    private static double Target(ReadOnlySpan<float> x, ReadOnlySpan<float> reconK, ReadOnlySpan<float> preBias, int r, int c, int dim) =>
        (double)x[r * dim + c] - ((double)reconK[r * dim + c] - preBias[c]);
}
