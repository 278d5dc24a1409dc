namespace Skald.Tokenizers;

/// <summary>Which end of a sequence is cut (HF's TruncationDirection).</summary>
public enum TruncationDirection
{
    /// <summary>Keep the beginning.</summary>
    Right,
    /// <summary>Keep the end.</summary>
    Left,
}
