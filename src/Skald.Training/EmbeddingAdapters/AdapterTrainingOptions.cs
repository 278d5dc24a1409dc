namespace Skald.Training.EmbeddingAdapters;

/// <summary>How a <see cref="QueryAdapter"/> is trained (llama_index's recipe: MNRL with scale 20, AdamW, linear warm-up over 10% then decay, gradient norm clipped to 1).</summary>
public sealed record AdapterTrainingOptions
{
    /// <summary>Passes over the training pairs.</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>Pairs per step (the in-batch negatives of MNRL).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate of AdamW.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>AdamW's decoupled weight decay (torch's default).</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>Fraction of the steps spent warming up.</summary>
    public double WarmupFraction { get; init; } = 0.1;

    /// <summary>MNRL's scale (inverse temperature).</summary>
    public float Scale { get; init; } = 20f;

    /// <summary>Global gradient norm limit.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Seed of the batch order.</summary>
    public ulong Seed { get; init; } = 42;
}
