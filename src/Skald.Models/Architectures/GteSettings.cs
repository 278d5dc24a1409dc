namespace Skald.Models.Architectures;

/// <summary>
/// The config.json fields of GTE's "NewModel" (Alibaba-NLP/new-impl's <c>configuration.py</c> NewConfig) that have no
/// counterpart in <see cref="TransformerConfig"/>; read by <see cref="GteConfigReader"/>. RoPE's base and scaling are
/// <see cref="TransformerConfig.RopeTheta"/> and <see cref="TransformerConfig.RopeScaling"/>.
/// </summary>
/// <param name="Rope"><c>position_embedding_type</c> "rope" (else "absolute": a learned position table).</param>
/// <param name="RmsNorm"><c>layer_norm_type</c> "rms_norm" (else "layer_norm") for the blocks' attn_ln and mlp_ln.</param>
/// <param name="PackQkv"><c>pack_qkv</c>: one <c>qkv_proj</c> (else <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>).</param>
/// <param name="LognScale">
/// <c>logn_attention_scale</c>: every query of a sequence of L real tokens is multiplied by ln(L) / ln(max_position_embeddings)
/// (see <see cref="Gte.LognFactor"/>).
/// </param>
/// <param name="LognClip1"><c>logn_attention_clip1</c>: that factor is raised to at least 1.</param>
public sealed record GteSettings(bool Rope, bool RmsNorm, bool PackQkv, bool LognScale = false, bool LognClip1 = false);
