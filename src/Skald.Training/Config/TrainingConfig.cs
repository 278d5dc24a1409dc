namespace Skald.Training.Config;

/// <summary>
/// A fine-tuning run as described by a YAML file (see <c>configs/train-example.yaml</c> for every key). Sections mirror
/// a typical sentence-transformers <c>training_config.yaml</c>: model, data, training, loss, evaluation, output.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>The file the config came from (for messages and the model card).</summary>
    public string SourcePath { get; init; } = "";

    /// <summary>The <c>model</c> section.</summary>
    public required ModelSection Model { get; init; }

    /// <summary>The <c>data</c> section.</summary>
    public required DataSection Data { get; init; }

    /// <summary>The <c>training</c> section.</summary>
    public required TrainingSection Training { get; init; }

    /// <summary>The <c>loss</c> section.</summary>
    public required LossSection Loss { get; init; }

    /// <summary>The <c>evaluation</c> section.</summary>
    public required EvaluationSection Evaluation { get; init; }

    /// <summary>The <c>output</c> section.</summary>
    public required OutputSection Output { get; init; }

    /// <summary>True when <c>--quick-test</c> shrank the run.</summary>
    public bool QuickTest { get; init; }
}

/// <summary><c>model</c>: the base model.</summary>
/// <param name="Path">Model folder (sentence-transformers, Hugging Face or static layout); empty for a new static model.</param>
/// <param name="Dropout">Hidden and attention dropout in training passes; 0 turns it off.</param>
public sealed record ModelSection(string Path, float Dropout = 0.1f)
{
    /// <summary>
    /// <c>transformer</c> (a folder with a transformer, the default) or <c>static</c> (a StaticEmbedding model: the
    /// folder at <see cref="Path"/>, or a new one over <see cref="Tokenizer"/> with <see cref="Dimension"/> columns).
    /// </summary>
    public string Type { get; init; } = "transformer";

    /// <summary>A new static model's tokenizer.json (or a folder holding one).</summary>
    public string? Tokenizer { get; init; }

    /// <summary>A new static model's embedding width.</summary>
    public int Dimension { get; init; } = 256;

    /// <summary>A new static model ends with a Normalize module (unit-length embeddings).</summary>
    public bool Normalize { get; init; } = true;
}

/// <summary><c>data</c>: training (and optional evaluation) datasets.</summary>
/// <param name="Train">One or more JSONL/CSV/TSV files.</param>
/// <param name="Sampling"><c>round_robin</c> or <c>proportional</c> when there are several training files.</param>
/// <param name="MaxTrainSamples">Keep only the first N rows of each training file (null: all).</param>
/// <param name="Eval">An evaluation file (same formats), or null.</param>
/// <param name="EvalSplit">Rows held out from the first training file for evaluation: a fraction in (0, 1) or a count ≥ 1; 0 = none.</param>
/// <param name="MaxEvalSamples">Cap on evaluation rows (null: all).</param>
/// <param name="Columns">Input columns to use, in order (null: every non-label column of the file).</param>
public sealed record DataSection(
    IReadOnlyList<string> Train,
    string Sampling = "round_robin",
    int? MaxTrainSamples = null,
    string? Eval = null,
    double EvalSplit = 0,
    int? MaxEvalSamples = null,
    IReadOnlyList<string>? Columns = null);

/// <summary><c>training</c>: optimisation hyper-parameters.</summary>
public sealed record TrainingSection
{
    /// <summary>Rows per batch (per micro-batch when accumulating).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate.</summary>
    public float LearningRate { get; init; } = 2e-5f;

    /// <summary>Passes over the data (ignored when <see cref="MaxSteps"/> &gt; 0).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Optimiser steps to run; ≤ 0 means epochs decide.</summary>
    public int MaxSteps { get; init; } = -1;

    /// <summary>Linear warm-up steps from 0 to the peak learning rate.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Warm-up as a fraction of all steps (rounded up), used when <see cref="WarmupSteps"/> is 0.</summary>
    public float WarmupRatio { get; init; }

    /// <summary><c>linear</c>, <c>cosine</c> or <c>constant</c> (all after warm-up).</summary>
    public string Scheduler { get; init; } = "linear";

    /// <summary>AdamW decoupled weight decay.</summary>
    public float WeightDecay { get; init; } = 0.01f;

    /// <summary>AdamW β₁.</summary>
    public float AdamBeta1 { get; init; } = 0.9f;

    /// <summary>AdamW β₂.</summary>
    public float AdamBeta2 { get; init; } = 0.999f;

    /// <summary>AdamW ε.</summary>
    public float AdamEpsilon { get; init; } = 1e-8f;

    /// <summary>Global gradient-norm clip; 0 turns clipping off.</summary>
    public float MaxGradNorm { get; init; } = 1f;

    /// <summary>Micro-batches per optimiser step.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    /// <summary>Seed for shuffling, dropout and evaluation splits.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Shuffle rows every epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Never put the same text twice in a batch (a false in-batch negative).</summary>
    public bool NoDuplicates { get; init; } = true;

    /// <summary>Write a metrics row every N steps.</summary>
    public int LoggingSteps { get; init; } = 10;
}

/// <summary><c>loss</c>: the objective.</summary>
public sealed record LossSection
{
    /// <summary><c>mnrl</c>, <c>cached_mnrl</c>, <c>triplet</c>, <c>cosent</c>, <c>simcse</c>, <c>matryoshka</c> or <c>mlm</c>.</summary>
    public string Type { get; init; } = "mnrl";

    /// <summary>Masked-LM: share of non-special tokens selected for prediction.</summary>
    public float MaskProbability { get; init; } = 0.15f;

    /// <summary>Similarity scale (inverse temperature) of MNRL, cached MNRL, SimCSE and CoSENT.</summary>
    public float Scale { get; init; } = 20f;

    /// <summary>MNRL: also rank anchors given the positive.</summary>
    public bool Symmetric { get; init; }

    /// <summary>Cached MNRL: rows per forward/backward chunk.</summary>
    public int MiniBatchSize { get; init; } = 32;

    /// <summary>Triplet loss margin (Euclidean distance).</summary>
    public float Margin { get; init; } = 5f;

    /// <summary>Matryoshka: the loss applied to every truncated embedding (<c>mnrl</c>, <c>cosent</c>, <c>triplet</c>).</summary>
    public string MatryoshkaInner { get; init; } = "mnrl";

    /// <summary>Matryoshka: embedding widths (null: full, half, quarter, ...).</summary>
    public IReadOnlyList<int>? MatryoshkaDims { get; init; }

    /// <summary>Matryoshka: weight per width (null: all 1).</summary>
    public IReadOnlyList<float>? MatryoshkaWeights { get; init; }
}

/// <summary><c>evaluation</c>: evaluators and best-model selection.</summary>
public sealed record EvaluationSection
{
    /// <summary>Evaluate every N steps (0: only at the end).</summary>
    public int Steps { get; init; }

    /// <summary>A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) for retrieval metrics, or null.</summary>
    public string? Retrieval { get; init; }

    /// <summary>Cap on retrieval queries (null: all).</summary>
    public int? RetrievalMaxQueries { get; init; }

    /// <summary>Metric that selects the best model (e.g. <c>eval_triplet_accuracy</c>); null: the first one computed.</summary>
    public string? MetricForBestModel { get; init; }

    /// <summary>Whether a larger value of the metric is better.</summary>
    public bool GreaterIsBetter { get; init; } = true;

    /// <summary>Save the best evaluated weights as the final model.</summary>
    public bool LoadBestModelAtEnd { get; init; }

    /// <summary>Batch size for evaluation encodes.</summary>
    public int BatchSize { get; init; } = 64;
}

/// <summary><c>output</c>: where results go.</summary>
public sealed record OutputSection
{
    /// <summary>Output folder: the final model, metrics.jsonl, tensorboard/, checkpoints/.</summary>
    public required string Dir { get; init; }

    /// <summary>Write a checkpoint every N steps (0: none).</summary>
    public int SaveSteps { get; init; } = 500;

    /// <summary>Checkpoints to keep (the newest).</summary>
    public int SaveTotalLimit { get; init; } = 2;

    /// <summary>Continue from the newest checkpoint in <see cref="Dir"/> when one exists.</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Write TensorBoard event files.</summary>
    public bool Tensorboard { get; init; } = true;

    /// <summary>Name used in the model card (null: the output folder's name).</summary>
    public string? ModelName { get; init; }
}
