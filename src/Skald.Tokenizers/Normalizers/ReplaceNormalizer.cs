using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Normalizers;

/// <summary>HF's Replace normalizer with a literal string or a regex pattern.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/normalizers/replace.rs</remarks>
internal sealed class ReplaceNormalizer : INormalizer
{
    private readonly string? _literal;
    private readonly OnigRegex? _regex;
    private readonly string _content;

    /// <summary>Creates the normalizer; exactly one of <paramref name="literal"/> / <paramref name="regex"/> is set.</summary>
    public ReplaceNormalizer(string? literal, OnigRegex? regex, string content)
    {
        _literal = literal;
        _regex = regex;
        _content = content;
    }

    /// <summary>The literal pattern, or null for a regex pattern.</summary>
    internal string? Literal => _literal;

    /// <summary>The regex pattern, or null for a literal one.</summary>
    internal OnigRegex? Regex => _regex;

    /// <summary>The replacement text.</summary>
    internal string Content => _content;

    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        var matches = new List<(int, int)>();
        string text = ns.ToString();
        if (_literal is not null)
        {
            if (_literal.Length == 0) return;
            int at = 0;
            while ((at = text.IndexOf(_literal, at, StringComparison.Ordinal)) >= 0)
            {
                matches.Add((at, at + _literal.Length));
                at += _literal.Length;
            }
        }
        else
        {
            var found = new List<(int Start, int End)>();
            _regex!.Matches(text, found);
            matches.AddRange(found);
        }
        ns.Replace(matches, _content);
    }
}
