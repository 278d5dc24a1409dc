namespace Skald.Training.Config;

/// <summary><c>training</c>: optimisation hyper-parameters.</summary>
public sealed record TrainingSection
{
    /// <summary>Rows per batch (per micro-batch when accumulating).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 2e-5f;

    /// <summary>
    /// Passes over the data (ignored when <see cref="MaxSteps"/> &gt; 0); a fraction trains that part of the steps, rounded
    /// up, as transformers' <c>num_train_epochs</c> (<c>max_steps = ceil(num_train_epochs × steps per epoch)</c>).
    /// </summary>
    public double Epochs { get; init; } = 1;

    /// <summary>Optimiser steps to run; ≤ 0 means epochs decide.</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary>Linear warm-up steps from 0 to the peak learning rate.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>
    /// Warm-up as a fraction of all steps, used when <see cref="WarmupSteps"/> is 0: ceil(steps × ratio) with the ratio
    /// as written (its shortest decimal form, not the float's binary value), as transformers' get_warmup_steps.
    /// </summary>
    public float WarmupRatio { get; init; }

    /// <summary>
    /// transformers' lr_scheduler_type: <c>linear</c>, <c>cosine</c>, <c>constant</c>, <c>polynomial</c>,
    /// <c>cosine_with_restarts</c>, <c>cosine_with_min_lr</c>, <c>inverse_sqrt</c> or <c>warmup_stable_decay</c>.
    /// </summary>
    public string Scheduler { get; init; } = "linear";

    /// <summary>The scheduler's own settings (<c>training.scheduler_kwargs</c>, transformers' lr_scheduler_kwargs).</summary>
    public Skald.Training.Optim.SchedulerKwargs SchedulerKwargs { get; init; } = new();

    /// <summary>AdamW decoupled weight decay.</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>
    /// sentence-transformers' learning_rate_mapping: parameters whose name matches a pattern (a regular expression,
    /// searched anywhere in the name; the first pattern that matches wins) train at that learning rate instead of
    /// <see cref="LearningRate"/>, following the same schedule (e.g. <c>SparseStaticEmbedding: 1e-3</c>).
    /// </summary>
    public IReadOnlyList<(string Pattern, double LearningRate)> LearningRateMapping { get; init; } = [];

    /// <summary>AdamW β₁.</summary>
    public float AdamBeta1 { get; init; } = 0.9f;

    /// <summary>AdamW β₂.</summary>
    public float AdamBeta2 { get; init; } = 0.999f;

    /// <summary>AdamW ε.</summary>
    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>Global gradient-norm clip; 0 turns clipping off.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>
    /// Micro-batches per optimiser step; an epoch's last step takes the batches left (never the next epoch's), as
    /// transformers' Trainer.
    /// </summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Seed for shuffling, dropout and evaluation splits.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Shuffle rows every epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Never put the same text twice in a batch (a false in-batch negative).</summary>
    public bool NoDuplicates { get; init; } = true;

    /// <summary>Write a metrics row every N steps.</summary>
    public int LoggingSteps { get; init; } = 10;

    /// <summary>
    /// Recompute each transformer layer's activations during the backward pass instead of keeping them (transformers'
    /// gradient_checkpointing): less memory, one more forward pass of compute, the same gradients bit for bit.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>
    /// Batch rows of similar token length (transformers' group_by_length): for <c>causal_lm</c>, whose rows are
    /// tokenized once to measure them; other losses ignore it.
    /// </summary>
    public bool GroupByLength { get; init; }

    /// <summary>
    /// Batches grouped by label, as sentence-transformers' GroupByLabelBatchSampler makes them for the batch triplet
    /// losses (every label in a batch at least twice; the batch size must be even); no_duplicates does not apply.
    /// </summary>
    public bool GroupByLabel { get; init; }

    /// <summary>
    /// sentence-transformers' training prompts (<c>training.prompts</c>), written before the texts of the training
    /// columns; null: none. Evaluators during training get none, as upstream's evaluators take their own.
    /// </summary>
    public TrainingPrompts? Prompts { get; init; }
}
