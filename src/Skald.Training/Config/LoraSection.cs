namespace Skald.Training.Config;

/// <summary>
/// <c>lora</c>: train LoRA adapters instead of the model's weights (peft's LoraConfig; the defaults are LLM2Vec's). Only
/// the adapters get gradients and optimiser state; the base stays frozen.
/// </summary>
public sealed record LoraSection
{
    /// <summary>Rank r.</summary>
    public int R { get; init; } = 16;

    /// <summary>lora_alpha (scale = alpha / r, or alpha / √r with <see cref="UseRsLora"/>).</summary>
    public float Alpha { get; init; } = 32;

    /// <summary>
    /// peft's <c>use_rslora</c> (rank-stabilised LoRA, Kalajdzievski 2023): scale the update by alpha / √r instead of
    /// alpha / r, so that higher ranks keep learning; written to adapter_config.json as peft reads it.
    /// </summary>
    public bool UseRsLora { get; init; }

    /// <summary>
    /// peft's <c>use_dora</c> (weight-decomposed LoRA, Liu et al. 2024): each adapted layer also trains a magnitude per
    /// output, and its output is (m/‖W + scale·B·A‖)⊙ the adapted product; saved as peft saves it
    /// (<c>lora_magnitude_vector</c>), merged exactly with <c>save: merged</c>.
    /// </summary>
    public bool UseDora { get; init; }

    /// <summary>lora_dropout on the adapters' input during training.</summary>
    public float Dropout { get; init; } = 0.05f;

    /// <summary>Module names an adapter goes on (a module matches when its name ends with one), unless <see cref="TargetPattern"/> is set.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = Models.Adapters.LoraConfig.DecoderProjections;

    /// <summary>
    /// <c>target_modules</c> given as one string other than <c>all-linear</c>: as in peft, a regular expression matching
    /// the whole module name (e.g. <c>.*\.(query|value)</c>), written to adapter_config.json as that string; else null.
    /// </summary>
    public string? TargetPattern { get; init; }

    /// <summary><c>adapter</c>: save the adapter alone in peft's layout; <c>merged</c>: save the model with the adapter merged in.</summary>
    public string Save { get; init; } = "adapter";
}
