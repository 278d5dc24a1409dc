namespace Skald.Models.CrossEncoders;

/// <summary>
/// What a <see cref="CrossEncoder"/> applies to its logits before returning them: sentence-transformers' CrossEncoder
/// <c>activation_fn</c> (config.json's <c>sentence_transformers.activation_fn</c>, or the older
/// <c>sbert_ce_default_activation_function</c>; by default Sigmoid for one label, else Identity).
/// </summary>
public enum ScoreActivation
{
    /// <summary>The raw logits (torch.nn.Identity).</summary>
    Identity,

    /// <summary>1 / (1 + e^−x) (torch.nn.Sigmoid): a relevance in (0, 1).</summary>
    Sigmoid,

    /// <summary>tanh(x) (torch.nn.Tanh).</summary>
    Tanh,
}
