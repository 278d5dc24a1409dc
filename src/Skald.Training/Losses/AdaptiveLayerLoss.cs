using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// sentence-transformers' AdaptiveLayerLoss (and, around a <see cref="MatryoshkaLoss"/>, its Matryoshka2dLoss): the
/// inner loss over the last layer's embeddings times <see cref="LastLayerWeight"/>, plus, for each sampled earlier
/// layer i (0-based among the L − 1 layers before the last; all of them when <see cref="LayersPerStep"/> ≤ 0 or
/// ≥ L − 1), the inner loss over the embeddings the same modules make from layer i + 1's output, times
/// <see cref="PriorLayersWeight"/> / (1 + i) / (layers sampled), and, when <see cref="KlTemperature"/> &gt; 0,
/// <see cref="KlTemperature"/> · <see cref="KlDivWeight"/> · KL(softmax(last / T) ‖ softmax(layer i / T)) over the
/// columns' rows stacked (<see cref="LayerKlDivergence"/>). Every embedding comes from one transformer pass per
/// column, so a step costs one forward and one backward, as upstream's caching of the layer outputs does. Models
/// trained so keep useful embeddings when their last layers are cut off (<c>skald truncate-layers</c>). Runs under mpirun.
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/losses/AdaptiveLayerLoss.py
/// (2D Matryoshka Sentence Embeddings, https://arxiv.org/abs/2402.14776).
/// </summary>
public sealed class AdaptiveLayerLoss : ILoss
{
    /// <summary>Wraps <paramref name="inner"/>; the defaults are upstream's (Matryoshka2dLoss's too).</summary>
    public AdaptiveLayerLoss(IEmbeddingLoss inner, int layersPerStep = 1, float lastLayerWeight = 1f, float priorLayersWeight = 1f,
        float klDivWeight = 1f, float klTemperature = 0.3f)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        if (klTemperature < 0) throw new ArgumentOutOfRangeException(nameof(klTemperature), "kl_temperature must be 0 (no KL term) or above");
        LayersPerStep = layersPerStep;
        LastLayerWeight = lastLayerWeight;
        PriorLayersWeight = priorLayersWeight;
        KlDivWeight = klDivWeight;
        KlTemperature = klTemperature;
    }

    /// <summary>The loss applied at every layer used.</summary>
    public IEmbeddingLoss Inner { get; }

    /// <summary>Earlier layers sampled per step (≤ 0: all).</summary>
    public int LayersPerStep { get; }

    /// <summary>Weight of the last layer's loss.</summary>
    public float LastLayerWeight { get; }

    /// <summary>Weight of the earlier layers' losses (each also divided by 1 + its index and by the layers sampled).</summary>
    public float PriorLayersWeight { get; }

    /// <summary>Weight of the KL terms.</summary>
    public float KlDivWeight { get; }

    /// <summary>Softmax temperature of the KL terms; 0 leaves them out.</summary>
    public float KlTemperature { get; }

    /// <summary>The earlier layers the last step used (0-based), for tests and logs.</summary>
    public IReadOnlyList<int> LastLayers { get; private set; } = [];

    /// <inheritdoc />
    public string Name => "adaptive_layer_" + Inner.Name;

    /// <summary>The inner loss's own parameters (SoftmaxLoss's classifier), trained at every layer.</summary>
    public IReadOnlyList<Skald.Tensors.Autograd.Parameter> Parameters => (Inner as ILoss)?.Parameters ?? [];

    /// <inheritdoc />
    public IReadOnlyList<Skald.Tensors.Autograd.Parameter> SavedParameters => (Inner as ILoss)?.SavedParameters ?? [];

    /// <summary>
    /// Runs data-parallel: every rank uses rank 0's draw of layers, the inner loss spans the ranks at every layer
    /// (<see cref="AcrossRanks"/>), and each rank's KL rows are divided by the global row count and summed.
    /// </summary>
    public bool SpansRanks => true;

    /// <inheritdoc />
    public float ComputeAndBackward(ITrainableModel model, TrainingBatch batch, float gradientScale = 1f)
    {
        var encoder = EmbeddingLoss.AsEncoder(model);
        EmbeddingLoss.CheckBatch(batch);
        var comm = encoder.Communicator;
        var layers = Shared(Sample(encoder.Model.PriorLayerCount, encoder.Random), comm);
        LastLayers = layers;
        int cols = batch.Columns.Count;
        using var pass = encoder.BeginPass(record: true);
        var finals = new EmbeddingBatch[cols];
        var perLayer = new EmbeddingBatch[layers.Length][];
        for (int j = 0; j < layers.Length; j++) perLayer[j] = new EmbeddingBatch[cols];
        for (int c = 0; c < cols; c++)
        {
            var (final, states) = pass.ForwardLayers(encoder.Prepare(batch, c), layers);
            finals[c] = final;
            for (int j = 0; j < layers.Length; j++) perLayer[j][c] = states[j];
        }
        var finalGrads = Zeros(finals);
        double perRank = gradientScale / (double)comm.Size; // the inner loss's own parameters (a classifier) scale as the model's gradients
        double total = LastLayerWeight * (double)LossParameterGradients.Scaled(Inner, LastLayerWeight * perRank,
            () => AcrossRanks.Compute(Inner, comm, finals, batch.Labels, finalGrads));
        // The KL terms are sums over rows: each rank takes its own rows, divided by the rows of every rank.
        int localRows = finals.Sum(f => f.Rows), globalRows = localRows;
        if (comm.Size > 1)
        {
            var all = new int[comm.Size];
            comm.AllGather(localRows, all);
            globalRows = all.Sum();
        }
        double share = localRows / (double)Math.Max(globalRows, 1), kl = 0;
        foreach (var g in finalGrads) Scale(g, LastLayerWeight);
        var stackedFinal = KlTemperature > 0 ? EmbeddingBatch.Concat(finals) : null;
        var stackedFinalGrad = stackedFinal is null ? null : new EmbeddingBatch(stackedFinal.Rows, stackedFinal.Dim);
        var layerGrads = new EmbeddingBatch[layers.Length][];
        for (int j = 0; j < layers.Length; j++)
        {
            layerGrads[j] = Zeros(perLayer[j]);
            double w = PriorLayersWeight / (1.0 + layers[j]) / layers.Length;
            var layerColumns = perLayer[j];
            var layerGradients = layerGrads[j];
            total += w * LossParameterGradients.Scaled(Inner, w * perRank, () => AcrossRanks.Compute(Inner, comm, layerColumns, batch.Labels, layerGradients));
            foreach (var g in layerGrads[j]) Scale(g, (float)w);
            if (stackedFinal is null) continue;
            var stacked = EmbeddingBatch.Concat(perLayer[j]);
            var stackedGrad = new EmbeddingBatch(stacked.Rows, stacked.Dim);
            kl += LayerKlDivergence.Compute(stackedFinal, stacked, KlTemperature, (double)KlTemperature * KlDivWeight * share, stackedFinalGrad!, stackedGrad);
            AddRows(stackedGrad, layerGrads[j]);
        }
        if (stackedFinalGrad is not null) AddRows(stackedFinalGrad, finalGrads);
        if (comm.Size > 1)
        {
            Span<double> sum = [kl];
            comm.AllReduceSum(sum);
            kl = sum[0];
        }
        total += kl;
        // Backward in the order the pass registered its outputs: per column, the last layer's, then each sampled layer's.
        var seeds = new List<EmbeddingBatch>(cols * (1 + layers.Length));
        for (int c = 0; c < cols; c++)
        {
            seeds.Add(finalGrads[c]);
            for (int j = 0; j < layers.Length; j++) seeds.Add(layerGrads[j][c]);
        }
        pass.Backward(seeds, gradientScale);
        return (float)total;
    }

    /// <summary>
    /// The earlier layers of this step: all <paramref name="prior"/> of them, or <see cref="LayersPerStep"/> drawn
    /// without replacement (upstream's <c>random.sample</c>; here from the trainer's generator, so a resumed run
    /// draws the same layers), in ascending order.
    /// </summary>
    private int[] Sample(int prior, Skald.Tensors.SkaldRandom random)
    {
        var all = Enumerable.Range(0, prior).ToArray();
        if (LayersPerStep <= 0 || LayersPerStep >= prior) return all;
        for (int i = 0; i < LayersPerStep; i++) // partial Fisher-Yates
        {
            int k = i + random.Next(prior - i);
            (all[i], all[k]) = (all[k], all[i]);
        }
        var picked = all[..LayersPerStep];
        Array.Sort(picked);
        return picked;
    }

    /// <summary>Rank 0's draw on every rank (ranks draw dropout for different rows, so their generators part ways).</summary>
    private static int[] Shared(int[] layers, Skald.Distributed.ICommunicator comm)
    {
        if (comm.Size == 1) return layers;
        var all = new int[comm.Size];
        comm.AllGather(layers.Length, all);
        var shared = new int[all[0]];
        for (int i = 0; i < shared.Length; i++)
        {
            comm.AllGather(i < layers.Length ? layers[i] : -1, all);
            shared[i] = all[0];
        }
        return shared;
    }

    private static EmbeddingBatch[] Zeros(EmbeddingBatch[] like) => [.. like.Select(e => new EmbeddingBatch(e.Rows, e.Dim))];

    private static void Scale(EmbeddingBatch g, float w) => System.Numerics.Tensors.TensorPrimitives.Multiply(g.Data, w, g.Data);

    /// <summary>Adds the rows of <paramref name="stacked"/> (the columns one after another) to each column's gradient.</summary>
    private static void AddRows(EmbeddingBatch stacked, EmbeddingBatch[] columns)
    {
        int at = 0;
        foreach (var c in columns)
        {
            var part = stacked.Data.AsSpan(at, c.Data.Length);
            System.Numerics.Tensors.TensorPrimitives.Add(c.Data, part, c.Data);
            at += c.Data.Length;
        }
    }
}
