namespace Skald.Tokenizers.Core;

/// <summary>A token produced by a model: id, string value and offsets (normalized UTF-16 units of its piece).</summary>
internal readonly record struct Token(int Id, string Value, int Start, int End);

/// <summary>How a delimiter found while splitting is kept (HF's SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    /// <summary>The delimiter is dropped.</summary>
    Removed,
    /// <summary>The delimiter becomes its own piece.</summary>
    Isolated,
    /// <summary>The delimiter is merged with the piece before it.</summary>
    MergedWithPrevious,
    /// <summary>The delimiter is merged with the piece after it.</summary>
    MergedWithNext,
    /// <summary>Consecutive delimiters are merged into one piece.</summary>
    Contiguous,
}
