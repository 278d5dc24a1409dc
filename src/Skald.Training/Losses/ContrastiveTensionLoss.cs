using Skald.Tensors.Autograd;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Contrastive Tension with in-batch negatives (Carlsson et al. 2021; sentence-transformers'
/// ContrastiveTensionLossInBatchNegatives, which upstream recommends over the pair-sampling variant): unsupervised, on
/// plain sentences. A second, independent copy of the model (<see cref="TrainableEncoder.Copy"/>, its parameters named
/// <c>contrastive_tension.model1/…</c>) embeds each sentence, the model itself embeds it again, and with
/// S_ij = cos(copy(s_i), model(s_j))·exp(τ) (τ = <c>logit_scale</c>, learnable, from ln 20) the loss is
/// (CE(S, i) + CE(Sᵀ, i)) / 2. The copy and τ train with the model (checkpointed, not saved: the model is the result).
/// Gradients: dS = ((softmax_rows(S) − I) + (softmax_cols(S) − I)) / (2B); dτ = Σ dS ⊙ S; through the cosines × exp(τ).
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/ContrastiveTensionLoss.py
/// </summary>
public sealed class ContrastiveTensionLoss : ILoss, IDisposable
{
    /// <summary>Name prefix of the copy's parameters.</summary>
    public const string CopyPrefix = "contrastive_tension.model1/";

    private readonly TrainableEncoder copy;
    private readonly InBatchScores scores;

    /// <summary>A copy of <paramref name="model"/> read from its folder, and τ = ln <paramref name="scale"/>.</summary>
    public ContrastiveTensionLoss(TrainableEncoder model, float scale = 20f)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (scale <= 0) throw new ArgumentOutOfRangeException(nameof(scale), "scale must be above 0");
        copy = model.Copy(CopyPrefix);
        LogitScale = new Parameter("contrastive_tension.logit_scale", [MathF.Log(scale)], [1], weightDecay: true);
        Parameters = [.. copy.Parameters, LogitScale];
        scores = new InBatchScores(LogitScale);
    }

    /// <summary>τ, the learnable log of the similarity scale.</summary>
    public Parameter LogitScale { get; }

    /// <summary>The copy's parameters and τ, trained and checkpointed with the model, not saved with it.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> SavedParameters => [];

    /// <inheritdoc />
    public string Name => "contrastive_tension";

    /// <summary>Runs data-parallel: each rank embeds its shard with both models and the loss spans every rank's rows.</summary>
    public bool SpansRanks => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var texts = batch.Columns[0];
        using var first = copy.BeginPass(record: true);
        using var second = encoder.BeginPass(record: true);
        EmbeddingBatch[] columns =
        [
            first.Forward(copy.Prepare(texts)),     // [B, D] sentence_features1 through the copy (model1)
            second.Forward(encoder.Prepare(texts)), // [B, D] sentence_features2 through the model (model2)
        ];
        EmbeddingBatch[] grads = [.. columns.Select(c => new EmbeddingBatch(c.Rows, c.Dim))];
        var comm = encoder.Communicator;
        float value = LossParameterGradients.Scaled(scores, gradientScale / (double)comm.Size,
            () => AcrossRanks.Compute(scores, comm, columns, null, grads));
        first.Backward([grads[0]], gradientScale);
        second.Backward([grads[1]], gradientScale);
        return value;
    }

    /// <summary>
    /// The loss over the two models' embeddings [B, D] each, with τ its own parameter: S_ij = cos(a_i, b_j)·exp(τ),
    /// (CE(S, i) + CE(Sᵀ, i)) / 2; d/dS = ((softmax_rows(S) − I) + (softmax_cols(S) − I)) / (2B), dτ += Σ dS ⊙ S.
    /// </summary>
    private sealed class InBatchScores(Parameter logitScale) : IEmbeddingLoss, ILoss
    {
        public string Name => "contrastive_tension";

        public IReadOnlyList<Parameter> Parameters => [logitScale];

        public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f) =>
            throw new NotSupportedException("the scores of ContrastiveTensionLoss take two models' embeddings");

        public float Compute(IReadOnlyList<EmbeddingBatch> columns, IReadOnlyList<float>? labels, IReadOnlyList<EmbeddingBatch> gradients)
        {
            EmbeddingLoss.RequireColumns(columns, 2, 2, "ContrastiveTensionLoss");
            int n = columns[0].Rows, d = columns[0].Dim;
            var (ua, na) = CosineMath.Normalize(columns[0]);
            var (ub, nb) = CosineMath.Normalize(columns[1]);
            double scale = Math.Exp(logitScale.Data.Span[0]), loss = 0, dTau = 0;
            var s = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) s[i * n + j] = CosineMath.Dot(ua, i, ub, j, d) * scale;
            var ds = new double[n * n];
            var line = new double[n];
            for (int i = 0; i < n; i++) // row i: copy's sentence i against the model's; column i: the transpose
            {
                for (int j = 0; j < n; j++) line[j] = s[i * n + j];
                double lse = CosineMath.LogSumExp(line);
                loss += (lse - s[i * n + i]) / (2 * n);
                for (int j = 0; j < n; j++) ds[i * n + j] += (Math.Exp(s[i * n + j] - lse) - (i == j ? 1 : 0)) / (2 * n);
                for (int j = 0; j < n; j++) line[j] = s[j * n + i];
                lse = CosineMath.LogSumExp(line);
                loss += (lse - s[i * n + i]) / (2 * n);
                for (int j = 0; j < n; j++) ds[j * n + i] += (Math.Exp(s[j * n + i] - lse) - (i == j ? 1 : 0)) / (2 * n);
            }
            var dua = new double[ua.Length];
            var dub = new double[ub.Length];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double g = ds[i * n + j];
                    dTau += g * s[i * n + j];
                    for (int x = 0; x < d; x++)
                    {
                        dua[i * d + x] += g * scale * ub[j * d + x];
                        dub[j * d + x] += g * scale * ua[i * d + x];
                    }
                }
            CosineMath.Backward(ua, na, dua, gradients[0]);
            CosineMath.Backward(ub, nb, dub, gradients[1]);
            logitScale.Grad.Span[0] += (float)dTau;
            return (float)loss;
        }
    }

    /// <summary>Disposes the copy's encoder, read from the model's folder for this loss (the setup that built the loss disposes it).</summary>
    public void Dispose() => copy.Model.Dispose();
}
