namespace Skald.Tokenizers;

/// <summary>
/// Which end of a sequence padding goes to (HF tokenizers' PaddingDirection, transformers' <c>padding_side</c>).
/// Encoders pad on the right; decoders (and LLM2Vec, always) usually pad on the left.
/// </summary>
public enum PaddingSide
{
    /// <summary>Real tokens first, padding after them.</summary>
    Right,
    /// <summary>Padding first, real tokens after it (the last real token sits at the end of every row).</summary>
    Left,
}
