namespace Skald.Tokenizers.Core;

/// <summary>One piece of a <see cref="PreTokenizedString"/>; <see cref="Tokens"/> is set once tokenized.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/pre_tokenizer.rs</remarks>
internal sealed class Split(NormalizedString normalized, List<Token>? tokens = null)
{
    /// <summary>The piece.</summary>
    public NormalizedString Normalized { get; } = normalized;

    /// <summary>Tokens of the piece (null until the model, or the added vocabulary, produced them).</summary>
    public List<Token>? Tokens { get; set; } = tokens;
}
