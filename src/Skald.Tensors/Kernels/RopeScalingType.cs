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
    /// <summary>
    /// "ntk" of Alibaba-NLP's new-impl (GTE "NewModel"): fixed NTK-aware scaling, inv_freq from base·factor divided by
    /// factor^(2/R), or with <see cref="RopeScaling.MixedB"/> the base kept and inv_freq[i] divided by
    /// exp(ln(factor)·((i + 1) / (R/2))^b) (mixed NTK, https://kexue.fm/archives/9706 eqs. 10, 12, 13).
    /// </summary>
    Ntk,
}
