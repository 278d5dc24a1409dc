using Skald.Tokenizers.Core;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Whitespace pre-tokenizer: the pieces are the matches of <c>\w+|[^\w\s]+</c>.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/whitespace.rs</remarks>
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
