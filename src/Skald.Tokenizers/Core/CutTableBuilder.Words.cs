using System.Globalization;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;

namespace Skald.Tokenizers.Core;

/// <summary>The characters whose runs a pipeline keeps whole (<see cref="CutTable.WordChars"/>).</summary>
internal static partial class CutTableBuilder
{
    private const string AsciiAlnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// The characters whose runs stay whole, or null when runs of ASCII letters and digits do not: for every pair of
    /// them, each becomes one letter or digit after the normalizer (measured after an "a"; a Replace literal or repeated
    /// class regex could join the two, <see cref="NormalizerAllows"/>), and every pre-tokenizer component is stable
    /// there without splitting (<see cref="Rule"/>). The ASCII letters and digits must all be such characters; the
    /// letters of the Latin (U+00C0..U+024F), Greek and Cyrillic blocks join them where they are too, with every other
    /// such character on either side (a letter whose image is two characters, İ lower-cased say, or none, is left out).
    /// These letters are starters no composition takes as second character, with a grapheme break on both sides, so
    /// what the normalizer makes of a run is local. No added token may be ASCII letters and digits only (as it is,
    /// normalized or in either case), and a letter found in an added token is left out: a match then needs a character
    /// outside the run, so a match of at most <see cref="GiantWords"/>' margin cannot reach into a run's middle.
    /// The letters are tried only with <paramref name="letters"/> (a WordPiece model, whose giant words they serve), one
    /// pair of each two classes of letters alike (<see cref="Keep"/>), or every pair with <paramref name="pairwise"/>.
    /// </summary>
    private static string? WordChars(INormalizer? normalizer, IReadOnlyList<IPreTokenizer> parts, char?[] images, IReadOnlyList<AddedToken> added, bool letters, bool pairwise)
    {
        var inAdded = new HashSet<char>();
        foreach (var t in added)
        {
            foreach (string form in (string[])[t.Content, t.Content.ToLowerInvariant(), t.Content.ToUpperInvariant(),
                         normalizer is null ? t.Content : Normalize(normalizer, t.Content)])
            {
                if (form.Length == 0 || form.All(char.IsAsciiLetterOrDigit)) return null;
                inAdded.UnionWith(form);
            }
        }
        var replace = Contains<ReplaceNormalizer>(normalizer) ? normalizer : null; // only a Replace forbids a pair (NormalizerAllows)
        var words = new List<(char Char, char Image)>();
        foreach (char c in AsciiAlnum)
        {
            if (images[CutTable.Symbol(c)] is not char image || !char.IsAsciiLetterOrDigit(image)) return null;
            words.Add((c, image));
        }
        foreach (var l in words)
            foreach (var r in words)
                if (!Inert(replace, parts, l, r)) return null;
        if (!letters) return AsciiAlnum;
        var kept = new List<(char Char, char Image)>();
        string lead = normalizer is null ? "" : Normalize(normalizer, "a");
        foreach (char c in Letters())
            if (!inAdded.Contains(c) && LetterImage(normalizer, lead, c) is char image) kept.Add((c, image));
        Keep(replace, parts, words, kept, pairwise ? null : Literals(normalizer, parts));
        return AsciiAlnum + string.Concat(kept.Select(x => x.Char));
    }

    /// <summary>
    /// Whether the pipeline keeps <paramref name="l"/> then <paramref name="r"/> in one piece, unchanged in number
    /// (<paramref name="normalizer"/>: the pipeline's when it holds a Replace, else null, which allows every pair).
    /// </summary>
    private static bool Inert(INormalizer? normalizer, IReadOnlyList<IPreTokenizer> parts, (char Char, char Image) l, (char Char, char Image) r)
    {
        if (!NormalizerAllows(normalizer, l.Char, r.Char)) return false;
        foreach (var p in parts)
            if (Rule(p, l.Image, r.Image) is not (true, false)) return false;
        return true;
    }

    /// <summary>The letters of the Latin U+00C0..U+024F, Greek and Cyrillic blocks tried as word characters.</summary>
    private static IEnumerable<char> Letters()
    {
        foreach (var (from, to) in new[] { ('\u00C0', '\u024F'), ('\u0370', '\u03FF'), ('\u0400', '\u04FF') })
        {
            for (char c = from; c <= to; c++)
            {
                if (char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
                    or UnicodeCategory.TitlecaseLetter or UnicodeCategory.OtherLetter)
                    yield return c;
            }
        }
    }

    /// <summary>What the normalizer makes of letter <paramref name="c"/> after an "a" (<paramref name="lead"/>: what it makes of the "a"), when that is one letter of the BMP; else null.</summary>
    private static char? LetterImage(INormalizer? normalizer, string lead, char c)
    {
        if (normalizer is null) return c;
        string n = Normalize(normalizer, "a" + c);
        return n.Length == lead.Length + 1 && n.StartsWith(lead, StringComparison.Ordinal) && char.IsLetter(n[^1]) && !char.IsSurrogate(n[^1]) ? n[^1] : null;
    }
}
