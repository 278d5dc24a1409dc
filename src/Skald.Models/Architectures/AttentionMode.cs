namespace Skald.Models.Architectures;

/// <summary>How a decoder's tokens attend to each other.</summary>
public enum AttentionMode
{
    /// <summary>Each token sees itself and the tokens before it (a decoder as trained; the default).</summary>
    Causal,
    /// <summary>
    /// Each token sees every real token of its sequence: LLM2Vec's only architectural change to a decoder. Sliding-window
    /// layers then see the tokens within the window on both sides.
    /// </summary>
    Bidirectional,
}
