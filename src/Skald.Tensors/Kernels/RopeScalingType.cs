namespace Skald.Tensors.Kernels;

/// <summary>transformers' <c>rope_scaling.rope_type</c> values Skald implements (modeling_rope_utils.py).</summary>
public enum RopeScalingType
{
    /// <summary>"default" (or no rope_scaling): inv_freq as computed from rope_theta.</summary>
    Default,
    /// <summary>"linear": inv_freq / factor (positions divided by factor).</summary>
    Linear,
    /// <summary>"llama3": Llama 3.1's frequency-dependent scaling (low/high frequency factors).</summary>
    Llama3,
}
