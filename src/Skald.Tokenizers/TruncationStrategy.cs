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
