namespace Skald.Tokenizers;

/// <summary>Which sequence of a pair loses tokens (HF's TruncationStrategy).</summary>
public enum TruncationStrategy
{
    /// <summary>Cut the longer sequence first (HF's longest_first).</summary>
    LongestFirst,
    /// <summary>Cut only the first sequence.</summary>
    OnlyFirst,
    /// <summary>Cut only the second sequence.</summary>
    OnlySecond,
}

/// <summary>Which end of a sequence is cut (HF's TruncationDirection).</summary>
public enum TruncationDirection
{
    /// <summary>Keep the beginning.</summary>
    Right,
    /// <summary>Keep the end.</summary>
    Left,
}

/// <summary>
/// Truncation settings as in HF tokenizers: <see cref="MaxLength"/> counts the special tokens the
/// post-processor adds; cut tokens go to <see cref="Encoding.Overflowing"/>, windows overlapping by
/// <see cref="Stride"/> tokens.
/// </summary>
public sealed record TruncationOptions(
    int MaxLength,
    TruncationStrategy Strategy = TruncationStrategy.LongestFirst,
    int Stride = 0,
    TruncationDirection Direction = TruncationDirection.Right);
