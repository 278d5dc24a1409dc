using Skald.Training.Config;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' CSRLoss for CSR sparse encoders (a dense chain + SparseAutoEncoder): the autoencoder's
/// reconstruction terms plus γ · an embedding loss over the sparse codes
/// (https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/losses/CSRLoss.py):
/// <code>
/// loss = mean_columns(L_k) + mean_columns(L_4k)/8 + β · mean_columns(L_aux) + γ · inner(z_k columns)
/// </code>
/// (<see cref="CsrReconstruction"/>). Every column runs the autoencoder's training forward in order, which advances its
/// dead-latent statistics as sentence-transformers does. The inner loss defaults to SparseMultipleNegativesRankingLoss
/// (MNRL, dot product, scale 1).
/// </summary>
public sealed class CsrLoss : ILoss
{
    /// <summary>CSRLoss over <paramref name="inner"/> with weights <paramref name="beta"/> (L_aux) and <paramref name="gamma"/> (the inner loss).</summary>
    public CsrLoss(IEmbeddingLoss inner, float beta = 0.1f, float gamma = 1f)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(beta >= 0) || !(gamma >= 0)) throw new ArgumentOutOfRangeException(nameof(beta), "beta and gamma must be ≥ 0");
        Inner = inner;
        Beta = beta;
        Gamma = gamma;
    }

    /// <summary>The loss over the sparse codes.</summary>
    public IEmbeddingLoss Inner { get; }

    /// <summary>β, the auxiliary reconstruction's weight.</summary>
    public float Beta { get; }

    /// <summary>γ, the inner loss's weight.</summary>
    public float Gamma { get; }

    /// <summary>The last batch's terms as sentence-transformers logs them: L_k, L_4k / 8, β·L_aux (each over the columns) and γ·inner.</summary>
    public (float K, float K4, float Aux, float Base) LastTerms { get; private set; }

    /// <inheritdoc />
    public string Name => "csr_" + Inner.Name;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var autoEncoder = encoder.Model.AutoEncoder
            ?? throw new TrainingException($"{encoder.Source.Path}: loss.type csr trains a CSR model (a SparseAutoEncoder after the chain; model.type: csr makes one)");
        using var pass = encoder.BeginPass(record: true);
        var forwards = batch.Columns.Select((_, i) => pass.ForwardAutoEncoder(encoder.Prepare(batch, i))).ToArray();
        var columns = forwards.Select(f => new EmbeddingBatch(f.Latents.Span.ToArray(), f.Latents.Rows, f.Latents.Cols)).ToArray();
        var grads = columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
        float inner = Inner.Compute(columns, batch.Labels, grads);
        foreach (var g in grads) System.Numerics.Tensors.TensorPrimitives.Multiply(g.Data, Gamma, g.Data);
        float share = 1f / forwards.Length;
        double k = 0, k4 = 0, aux = 0;
        var preBias = autoEncoder.PreBias.Data.Span;
        foreach (var f in forwards)
        {
            int n = f.Backbone.Length;
            var dx = new float[n];
            var dk = new float[n];
            var d4k = new float[n];
            var daux = new float[n];
            var terms = CsrReconstruction.Compute(f.Backbone.Span, f.ReconstructionK.Span, f.Reconstruction4K.Span, f.ReconstructionAux.Span,
                preBias, f.Backbone.Rows, f.Backbone.Cols, (share, share / 8f, share * Beta), dx, dk, d4k, daux);
            k += terms.K;
            k4 += terms.K4;
            aux += terms.Aux;
            pass.Seed(f.Backbone, dx, gradientScale);
            pass.Seed(f.ReconstructionK, dk, gradientScale);
            pass.Seed(f.Reconstruction4K, d4k, gradientScale);
            pass.Seed(f.ReconstructionAux, daux, gradientScale);
        }
        pass.Backward(grads, gradientScale);
        LastTerms = ((float)(k * share), (float)(k4 * share / 8), (float)(Beta * aux * share), Gamma * inner);
        return LastTerms.K + LastTerms.K4 + LastTerms.Aux + LastTerms.Base;
    }
}
