namespace Skald.Tokenizers.Core;

/// <summary>How a delimiter found while splitting is kept (HF's SplitDelimiterBehavior).</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/normalizer.rs</remarks>
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
