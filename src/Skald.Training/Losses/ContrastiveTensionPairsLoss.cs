using Skald.Tensors.Autograd;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// Contrastive Tension with sampled pairs (Carlsson et al. 2021; sentence-transformers' ContrastiveTensionLoss with its
/// ContrastiveTensionDataLoader): unsupervised, on plain sentences. Each batch's sentences are walked in order into
/// pairs as upstream's loader makes them: every <c>pos_neg_ratio</c>-th pair, from the first, is a sentence with itself
/// (label 1), the others two consecutive different sentences (label 0), and a last sentence left without a partner is
/// not used. A second, independent copy of the model (<see cref="TrainableEncoder.Copy"/>, parameters
/// <c>contrastive_tension.model1/…</c>) embeds each pair's first sentence, the model its second, and the loss is the
/// sum over the pairs of BCE with logits of their dot product z = a·b: ℓ = softplus(z) − y·z, ∂ℓ/∂z = σ(z) − y. The copy
/// trains with the model (checkpointed, not saved). Upstream's batch size counts pairs; here it counts sentences (a
/// batch of B sentences makes about B·r / (2r − 1) pairs). Under mpirun every rank is given the whole batch, makes
/// the pairs as one process does and embeds its shard of them; the sums add up across the ranks.
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/ContrastiveTensionLoss.py
/// </summary>
public sealed class ContrastiveTensionPairsLoss : ILoss, IDisposable
{
    private readonly TrainableEncoder copy;
    private readonly int ratio;

    /// <summary>A copy of <paramref name="model"/> read from its folder; one identical pair in every <paramref name="posNegRatio"/>.</summary>
    public ContrastiveTensionPairsLoss(TrainableEncoder model, int posNegRatio = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(posNegRatio, 1);
        ratio = posNegRatio;
        copy = model.Copy(ContrastiveTensionLoss.CopyPrefix);
        Parameters = copy.Parameters;
    }

    /// <summary>The copy's parameters, trained and checkpointed with the model, not saved with it.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> SavedParameters => [];

    /// <inheritdoc />
    public string Name => "contrastive_tension_pairs";

    /// <inheritdoc />
    public bool SpansRanks => true;

    /// <inheritdoc />
    public bool TakesGlobalBatch => true;

    /// <summary>The pairs upstream's loader makes of <paramref name="sentences"/>: (first, second, label 1 identical / 0 different).</summary>
    public static List<(string First, string Second, float Label)> Pairs(IReadOnlyList<string> sentences, int posNegRatio)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var pairs = new List<(string, string, float)>();
        int i = 0;
        while (i + 1 < sentences.Count)
        {
            string first = sentences[i];
            if (pairs.Count % posNegRatio > 0) pairs.Add((first, sentences[++i], 0f));
            else pairs.Add((first, first, 1f));
            i++;
        }
        return pairs;
    }

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var comm = encoder.Communicator;
        var all = Pairs(batch.Columns[0], ratio);
        var shard = Skald.Distributed.Shard.Of(all.Count, comm.Rank, comm.Size);
        var pairs = all.Skip(shard.Start).Take(shard.Count).ToList();
        double local = 0;
        if (pairs.Count > 0)
        {
            using var first = copy.BeginPass(record: true);
            using var second = encoder.BeginPass(record: true);
            var a = first.Forward(copy.Prepare([.. pairs.Select(p => p.First)]));      // [P, D] model1
            var b = second.Forward(encoder.Prepare([.. pairs.Select(p => p.Second)])); // [P, D] model2
            var da = new EmbeddingBatch(a.Rows, a.Dim);
            var db = new EmbeddingBatch(b.Rows, b.Dim);
            for (int i = 0; i < pairs.Count; i++)
            {
                Span<float> ra = a.Row(i), rb = b.Row(i);
                double z = 0;
                for (int x = 0; x < ra.Length; x++) z += (double)ra[x] * rb[x];
                double y = pairs[i].Label;
                local += (z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z))) - y * z;
                float dz = (float)(1 / (1 + Math.Exp(-z)) - y);
                Span<float> ga = da.Row(i), gb = db.Row(i);
                for (int x = 0; x < ra.Length; x++)
                {
                    ga[x] = dz * rb[x];
                    gb[x] = dz * ra[x];
                }
            }
            first.Backward([da], gradientScale);
            second.Backward([db], gradientScale);
        }
        if (comm.Size == 1) return (float)local;
        var parts = new float[comm.Size];
        comm.AllGather([(float)local], parts, [.. Enumerable.Repeat(1, comm.Size)]);
        return parts.Sum();
    }

    /// <summary>Disposes the copy's encoder, read from the model's folder for this loss (the setup that built the loss disposes it).</summary>
    public void Dispose() => copy.Model.Dispose();
}
