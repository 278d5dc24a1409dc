namespace Skald.Tokenizers;

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
