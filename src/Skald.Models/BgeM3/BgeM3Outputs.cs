namespace Skald.Models.BgeM3;

/// <summary>Which of BGE-M3's three outputs <see cref="BgeM3Encoder.Encode"/> keeps (all come from one transformer pass).</summary>
[Flags]
public enum BgeM3Outputs
{
    /// <summary>The dense vector (the first token's state, normalised).</summary>
    Dense = 1,

    /// <summary>The lexical weights (a sparse vector over the vocabulary).</summary>
    Sparse = 2,

    /// <summary>The ColBERT vectors (one per token after the first).</summary>
    Colbert = 4,

    /// <summary>All three.</summary>
    All = Dense | Sparse | Colbert,
}
