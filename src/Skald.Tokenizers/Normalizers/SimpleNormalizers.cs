using System.Text;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Normalizers;

/// <summary>Shared normalization operations.</summary>
internal static class SimpleNormalizers
{
    /// <summary>HF's NormalizedString::lowercase (Rust char::to_lowercase, multi-char results are insertions).</summary>
    public static void Lowercase(NormalizedString ns)
    {
        bool complex = false;
        var span = ns.Span;
        for (int i = 0; i < span.Length; i++)
        {
            char c = span[i];
            if (c < 0x80) continue;
            if (char.IsSurrogate(c) || UnicodeData.Is(c, UnicodeData.HasLower))
            {
                var low = char.IsSurrogate(c) ? null : UnicodeData.Lower(c);
                if (low is null || low.Length != 1 || low[0] >= 0x10000) { complex = true; break; }
            }
        }
        if (!complex)
        {
            ns.Map(static cp => cp < 0x80 ? (cp is >= 'A' and <= 'Z' ? cp + 32 : cp) : UnicodeData.Lower(cp)?[0] ?? cp);
            return;
        }
        var t = ns.BeginTransform();
        for (int i = 0; i < ns.Length;)
        {
            int cp = ns.CodePointAt(i, out int w);
            i += w;
            if (cp < 0x80)
            {
                t.Emit(cp is >= 'A' and <= 'Z' ? cp + 32 : cp, 0);
                continue;
            }
            var low = UnicodeData.Lower(cp);
            if (low is null)
            {
                t.Emit(cp, 0);
                continue;
            }
            for (int k = 0; k < low.Length; k++) t.Emit(low[k], k == 0 ? 0 : 1);
        }
        t.Commit();
    }
}

/// <summary>HF's Lowercase normalizer.</summary>
internal sealed record LowercaseNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => SimpleNormalizers.Lowercase(ns);
}

/// <summary>HF's NFD / NFKD / NFC / NFKC normalizers.</summary>
internal sealed record UnicodeNormalizer(NormalizationKind Kind) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => UnicodeNormalization.Apply(ns, Kind);
}

/// <summary>HF's StripAccents normalizer: removes combining marks (no decomposition by itself).</summary>
internal sealed record StripAccentsNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => ns.Filter(static cp => !UnicodeData.Is(cp, UnicodeData.CombiningMark));
}

/// <summary>HF's Nmt normalizer: drops some control chars and maps other spaces to ' '.</summary>
internal sealed record NmtNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        ns.Filter(static cp => cp is not ((>= 0x0001 and <= 0x0008) or 0x000B or (>= 0x000E and <= 0x001F) or 0x007F or 0x008F or 0x009F));
        ns.Map(static cp => cp is 0x0009 or 0x000A or 0x000C or 0x000D or 0x1680 or (>= 0x200B and <= 0x200F)
            or 0x2028 or 0x2029 or 0x2581 or 0xFEFF or 0xFFFD ? ' ' : cp);
    }
}

/// <summary>HF's Strip normalizer: removes leading and/or trailing whitespace.</summary>
internal sealed record StripNormalizer(bool Left, bool Right) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        var cps = new List<int>(ns.Length);
        for (int i = 0; i < ns.Length;)
        {
            cps.Add(ns.CodePointAt(i, out int w));
            i += w;
        }
        int lead = 0, trail = 0;
        if (Left) while (lead < cps.Count && UnicodeData.IsWhitespace(cps[lead])) lead++;
        if (Right) while (trail < cps.Count - lead && UnicodeData.IsWhitespace(cps[cps.Count - 1 - trail])) trail++;
        if (lead == 0 && trail == 0) return;
        var t = ns.BeginTransform(lead);
        for (int i = lead; i < cps.Count - trail; i++) t.Emit(cps[i], 0);
        t.Commit();
    }
}

/// <summary>HF's Prepend normalizer.</summary>
internal sealed record PrependNormalizer(string Prepend) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => ns.Prepend(Prepend);
}

/// <summary>HF's Replace normalizer with a literal string or a regex pattern.</summary>
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

/// <summary>HF's ByteLevel normalizer: every character becomes the byte-level characters of its UTF-8 bytes.</summary>
internal sealed record ByteLevelNormalizer : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns) => PreTokenizers.ByteLevelPreTokenizer.ToBytes(ns);
}

/// <summary>HF's Sequence normalizer.</summary>
internal sealed record SequenceNormalizer(IReadOnlyList<INormalizer> Normalizers) : INormalizer
{
    /// <inheritdoc/>
    public void Normalize(NormalizedString ns)
    {
        foreach (var n in Normalizers) n.Normalize(ns);
    }
}

/// <summary>Helpers shared by components.</summary>
internal static class TextUtil
{
    /// <summary>Number of code points in <paramref name="s"/>.</summary>
    public static int CodePoints(ReadOnlySpan<char> s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }

    /// <summary>UTF-8 byte length of <paramref name="s"/>.</summary>
    public static int Utf8Length(ReadOnlySpan<char> s) => System.Text.Encoding.UTF8.GetByteCount(s);
}
