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

    /// <summary>The <c>lora</c> section: train LoRA adapters (null: train the weights).</summary>
    public LoraSection? Lora { get; init; }

    /// <summary>The <c>output</c> section.</summary>
    public required OutputSection Output { get; init; }

    /// <summary>True when <c>--quick-test</c> shrank the run.</summary>
    public bool QuickTest { get; init; }
}
