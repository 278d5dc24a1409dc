using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>A pre-tokenizer step (HF's PreTokenizer): splits the untokenized pieces further.</summary>
internal interface IPreTokenizer
{
    /// <summary>Splits the pieces of <paramref name="pts"/>.</summary>
    void PreTokenize(PreTokenizedString pts);
}

/// <summary>HF's BertPreTokenizer: split on whitespace (removed), then isolate punctuation.</summary>
internal sealed record BertPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        pts.SplitPieces(static ns => Splitting.FindChars(ns, UnicodeData.IsWhitespace), SplitBehavior.Removed);
        pts.SplitPieces(static ns => Splitting.FindChars(ns, IsBertPunctuation), SplitBehavior.Isolated);
    }

    private static bool IsBertPunctuation(int cp) => cp < 0x80
        ? cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126)
        : UnicodeData.Is(cp, UnicodeData.Punctuation);
}

/// <summary>HF's WhitespaceSplit: split on whitespace, removing it.</summary>
internal sealed record WhitespaceSplitPreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) =>
        pts.SplitPieces(static ns => Splitting.FindChars(ns, UnicodeData.IsWhitespace), SplitBehavior.Removed);
}

/// <summary>HF's Whitespace pre-tokenizer: the pieces are the matches of <c>\w+|[^\w\s]+</c>.</summary>
internal sealed record WhitespacePreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts) => pts.SplitPieces(static ns => Find(ns), SplitBehavior.Removed);

    private static int Kind(int cp) =>
        UnicodeData.Is(cp, UnicodeData.Word) ? 1 : UnicodeData.IsWhitespace(cp) ? 0 : 2;

    private static List<(int Start, int End, bool IsMatch)> Find(NormalizedString ns)
    {
        // Matches of the regex become non-removed pieces; gaps (whitespace) are "matches" removed.
        var list = new List<(int, int, bool)>();
        if (ns.Length == 0)
        {
            list.Add((0, 0, false));
            return list;
        }
        int i = 0;
        while (i < ns.Length)
        {
            int start = i;
            int kind = Kind(ns.CodePointAt(i, out int w));
            i += w;
            while (i < ns.Length && Kind(ns.CodePointAt(i, out int w2)) == kind) i += w2;
            list.Add((start, i, kind == 0));
        }
        return list;
    }
}

/// <summary>Metaspace prepend scheme.</summary>
internal enum PrependScheme
{
    /// <summary>Always prepend the replacement to a piece not starting with it.</summary>
    Always,
    /// <summary>Only for the first piece of the input.</summary>
    First,
    /// <summary>Never.</summary>
    Never,
}

/// <summary>HF's Metaspace pre-tokenizer: ' ' becomes the replacement, optional prefix, split before each replacement.</summary>
internal sealed record MetaspacePreTokenizer(string Replacement, PrependScheme Scheme, bool SplitPieces) : IPreTokenizer
{
    private readonly int _replacementCp = char.ConvertToUtf32(Replacement, 0);

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        pts.Split(ns =>
        {
            var spaces = new List<(int, int)>();
            var span = ns.Span;
            for (int i = 0; i < span.Length; i++)
                if (span[i] == ' ') spaces.Add((i, i + 1));
            ns.Replace(spaces, Replacement);
            bool startsWith = ns.Span.StartsWith(Replacement.AsSpan(), StringComparison.Ordinal);
            bool prepend = Scheme switch
            {
                PrependScheme.Always => !startsWith,
                PrependScheme.First => !startsWith && ns.OriginalStart == 0,
                _ => false,
            };
            if (prepend) ns.Prepend(Replacement);
            if (!SplitPieces) return [new Split(ns)];
            int rep = _replacementCp;
            return Splitting.Split(ns, Splitting.FindChars(ns, cp => cp == rep), SplitBehavior.MergedWithNext).Select(p => new Split(p));
        });
    }
}

/// <summary>HF's Sequence pre-tokenizer.</summary>
internal sealed record SequencePreTokenizer(IReadOnlyList<IPreTokenizer> PreTokenizers) : IPreTokenizer
{
    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        foreach (var p in PreTokenizers) p.PreTokenize(pts);
    }
}
