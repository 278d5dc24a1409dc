namespace Skald.Tensors.Kernels;

/// <summary>
/// A config.json <c>rope_scaling</c> entry. <see cref="Factor"/> is used by linear, llama3 and ntk;
/// <see cref="LowFreqFactor"/>, <see cref="HighFreqFactor"/> and <see cref="OriginalMaxPositionEmbeddings"/> by llama3.
/// </summary>
/// <param name="Type">rope_type (or the older key type).</param>
/// <param name="Factor">factor.</param>
/// <param name="LowFreqFactor">low_freq_factor (llama3).</param>
/// <param name="HighFreqFactor">high_freq_factor (llama3).</param>
/// <param name="OriginalMaxPositionEmbeddings">original_max_position_embeddings (llama3).</param>
/// <param name="MixedB">mixed_b (ntk; null: fixed NTK scaling).</param>
public sealed record RopeScaling(RopeScalingType Type, float Factor = 1f, float LowFreqFactor = 1f, float HighFreqFactor = 4f,
    int OriginalMaxPositionEmbeddings = 8192, float? MixedB = null)
{
    /// <summary>No scaling.</summary>
    public static RopeScaling None { get; } = new(RopeScalingType.Default);
}
