using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Split pre-tokenizer: a literal string or a regex, one of five behaviours, optionally inverted.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/split.rs</remarks>
internal sealed class SplitPreTokenizer : IPreTokenizer
{
    private readonly string? _literal;
    private readonly OnigRegex? _regex;

    /// <summary>Creates the pre-tokenizer; exactly one of <paramref name="literal"/> / <paramref name="regex"/> is set.</summary>
    public SplitPreTokenizer(string? literal, OnigRegex? regex, SplitBehavior behavior, bool invert)
    {
        _literal = literal;
        _regex = regex;
        Behavior = behavior;
        Invert = invert;
    }

    /// <summary>The regex, or null for a literal pattern.</summary>
    internal OnigRegex? Regex => _regex;

    /// <summary>The literal pattern, or null for a regex.</summary>
    internal string? Literal => _literal;

    /// <summary>The delimiter behaviour.</summary>
    public SplitBehavior Behavior { get; }

    /// <summary>Whether the pattern marks the pieces to keep instead of the delimiters.</summary>
    public bool Invert { get; }

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) => pts.SplitPieces(
        ns => _regex is not null ? Splitting.FindRegex(ns, _regex, Invert) : Splitting.FindLiteral(ns, _literal!, Invert), Behavior);
}
