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
/// sentence-transformers divides by zero. Under data parallelism each rank passes its rows and a sum over the ranks:
/// N, the column means t̄ and the sums of the three terms are then the global batch's, and each rank gets the global
/// terms' gradients for its own rows (which the ranks' summed parameter gradients turn into one process's).
/// </summary>
public static class CsrReconstruction
{
    /// <summary>
    /// The three terms of one column; adds <paramref name="weights"/> · their gradients to <paramref name="dx"/>,
    /// <paramref name="dk"/>, <paramref name="d4k"/> and <paramref name="daux"/> (all [rows, dim]). With
    /// <paramref name="sumAcrossRanks"/> (an element-wise sum over the data-parallel ranks, every rank calling it the
    /// same number of times) the rows are this rank's shard and the terms those of all ranks' rows.
    /// </summary>
    public static (double K, double K4, double Aux) Compute(ReadOnlySpan<float> x, ReadOnlySpan<float> reconK, ReadOnlySpan<float> recon4K,
        ReadOnlySpan<float> reconAux, ReadOnlySpan<float> preBias, int rows, int dim, (float K, float K4, float Aux) weights,
        Span<float> dx, Span<float> dk, Span<float> d4k, Span<float> daux, Action<Span<double>>? sumAcrossRanks = null)
    {
        int local = rows * dim;
        if (x.Length < local || reconK.Length < local || recon4K.Length < local || reconAux.Length < local || preBias.Length != dim
            || dx.Length < local || dk.Length < local || d4k.Length < local || daux.Length < local)
            throw new ArgumentException("every span holds [rows, dim] values (pre_bias [dim])");
        // First sums (over every rank's rows): the squared errors of x̂_k and x̂_4k, the row count, and the column sums of
        // t = x − (x̂_k − pre_bias); then, about the column means, the numerator and denominator of the normalised error.
        var sums = new double[3 + dim];
        for (int i = 0; i < local; i++)
        {
            double e = x[i] - reconK[i], f = x[i] - recon4K[i];
            sums[0] += e * e;
            sums[1] += f * f;
        }
        sums[2] = rows;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < dim; c++) sums[3 + c] += Target(x, reconK, preBias, r, c, dim);
        }
        sumAcrossRanks?.Invoke(sums);
        double total = sums[2], n = total * dim;
        double lk = sums[0] / n, l4k = sums[1] / n;
        var mean = new double[dim];
        for (int c = 0; c < dim; c++) mean[c] = sums[3 + c] / total;
        var quotient = new double[2];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < dim; c++)
            {
                double t = Target(x, reconK, preBias, r, c, dim);
                double a = reconAux[r * dim + c] - t, m = mean[c] - t;
                quotient[0] += a * a;
                quotient[1] += m * m;
            }
        }
        sumAcrossRanks?.Invoke(quotient);
        double num = quotient[0] / n, den = quotient[1] / n;
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
