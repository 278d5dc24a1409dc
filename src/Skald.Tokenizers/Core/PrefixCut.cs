using System.Text;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Core;

/// <summary>
/// When a text truncated to its first N tokens may be tokenized from a prefix only, with the same ids and offsets as
/// the whole text gives (HF's encode and truncate).
/// <para>
/// A cut is a single ASCII space with an ASCII letter or digit on both sides (<c>x y</c>). The prefix ends just before
/// it; the tokens taken from it must end at or before an earlier cut <c>s</c>, so a whole word and a space of margin
/// separate them from the end of the prefix. Every component accepted below is local around such a space: what
/// it makes of the text before <c>s</c> does not depend on the text after it. A pipeline accepted here may also be
/// cut between other characters (punctuation, ideographs, a letter and a digit, where no vocabulary entry spans):
/// <see cref="CutTableBuilder"/> proves those per pipeline into a <see cref="CutTable"/>.
/// </para>
/// <list type="bullet">
/// <item>Normalizers: BertNormalizer, Lowercase (a final sigma sees the same "not followed by a cased letter" at a
/// space as at the end), NFC/NFD/NFKC/NFKD (ASCII letters, digits and the space are starters that compose with nothing
/// before them), StripAccents, Nmt and ByteLevel map characters one by one; Precompiled maps grapheme clusters, and
/// a letter-space-letter sequence has cluster breaks on both sides of the space; Strip changes only the ends (the
/// prefix starts where the text starts and ends in a letter); Prepend adds at the start only. Replace is accepted when
/// a match cannot hold the cut's space together with a letter: a literal without a space (or exactly one space), or a
/// regex that is one character class not matching a space, optionally repeated (<c>\d{4,}</c>, <c>[\p{P}\p{S}]</c>), or
/// <c>\s+</c> (at the cut it matches the lone space, which the prefix leaves out), or SentencePiece's <c> {2,}</c> (never
/// at a lone space); and whatever it writes, no ASCII letter or digit may become whitespace or a space marker
/// (<see cref="LettersStay"/>), or the letters beside the cut would join its space in one run. Anything else: no prefix.</item>
/// <item>Added tokens: matched on the raw or normalized text; accepted when neither form holds whitespace or a space
/// marker, so no match spans the cut; lstrip/rstrip/single_word only look at the neighbours of a match, which for
/// a kept token lie before the margin's end.</item>
/// <item>WordPiece/BERT-style pipelines: BertPreTokenizer, Whitespace, WhitespaceSplit, a Split on " " or <c>\s+</c>,
/// CharDelimiterSplit(' ') and Metaspace with split all break at the space; ByteLevel with its GPT-2 regex and a
/// Split with the Llama 3 / cl100k / o200k / Qwen 2 regex too: no alternative of those patterns matches a letter or
/// digit followed by a space (letter, digit and punctuation runs exclude <c>\s</c>; the whitespace alternatives start
/// at whitespace; the lookahead <c>(?!\S)</c> only looks one character past a whitespace run). Punctuation, Digits,
/// CharDelimiterSplit on another character and a Split on a class or a space-free literal only split inside pieces;
/// ByteLevel without regex only maps bytes; either is accepted beside a component that breaks at the space.</item>
/// <item>SentencePiece-style single pieces (Metaspace without split, no pre-tokenizer after Replace(' ' → ▁), or
/// ByteLevel without regex alone): accepted for BPE (no dropout) and Unigram when no vocabulary entry holds a
/// character followed by the marker the space became, and the marker itself is in the vocabulary. Then no BPE merge and
/// no Unigram piece spans the boundary before the marker, so BPE's merges on both sides are independent (the heap
/// applies them in the same relative order) and Unigram's best path to the boundary is computed from the characters
/// before it alone (Viterbi), and the whole text's best path passes the boundary. WordPiece and WordLevel are not
/// accepted here (a word longer than max_input_chars_per_word becomes one unknown token).</item>
/// </list>
/// Any other component (a Split with another regex, a Replace regex of another shape, an unknown normalizer) gives
/// <see cref="PrefixMode.None"/>: the whole text is tokenized, as before.
/// </summary>
internal static class PrefixCut
{
    /// <summary>
    /// The split regexes of the GPT family (GPT-2 comes with ByteLevel): cl100k, o200k, Qwen 2 (Llama 3 is
    /// <see cref="Llama3SplitScanner.Pattern"/>).
    /// </summary>
    internal static readonly string[] KnownSplitPatterns =
    [
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s",
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        Llama3SplitScanner.Pattern,
    ];

    /// <summary>How this pipeline may be cut (see the class summary for the argument per component).</summary>
    public static PrefixMode Analyze(INormalizer? normalizer, IPreTokenizer? preTokenizer, IModel model, IReadOnlyList<AddedToken> added)
    {
        if (model is BpeModel { Options.Dropout: > 0 }) return PrefixMode.None;
        if (!LocalNormalizer(normalizer) || !LettersStay(normalizer)) return PrefixMode.None;
        string space = SpaceBecomes(normalizer);
        foreach (var t in added)
        {
            if (HasSpaceLike(t.Content)) return PrefixMode.None;
            if (t.Normalized && normalizer is not null)
            {
                var ns = new NormalizedString(t.Content);
                normalizer.Normalize(ns);
                if (HasSpaceLike(ns.ToString())) return PrefixMode.None;
            }
        }
        var parts = preTokenizer switch
        {
            null => [],
            SequencePreTokenizer s => s.PreTokenizers,
            _ => (IReadOnlyList<IPreTokenizer>)[preTokenizer],
        };
        if (space == " ")
        {
            bool split = false;
            foreach (var p in parts)
            {
                if (SplitsAtSpace(p)) split = true;
                else if (p is ByteLevelPreTokenizer { UseRegex: false } or MetaspacePreTokenizer { SplitPieces: false })
                {
                    if (!split) return parts.Count == 1 ? SinglePiece(model, p is MetaspacePreTokenizer m ? m.Replacement : "\u0120") : PrefixMode.None;
                }
                else if (!SplitsInside(p)) return PrefixMode.None;
            }
            return split ? PrefixMode.Pieces : PrefixMode.None;
        }
        // The space became a marker (Replace(' ' → ▁)) and nothing splits: one piece, cut where the model cannot join.
        return parts.Count == 0 && space.Length == 1 && !UnicodeData.IsWhitespace(space[0]) ? SinglePiece(model, space) : PrefixMode.None;
    }

    private static bool LocalNormalizer(INormalizer? n) => n switch
    {
        null => true,
        SequenceNormalizer s => s.Normalizers.All(LocalNormalizer),
        BertNormalizer or LowercaseNormalizer or UnicodeNormalizer or StripAccentsNormalizer or NmtNormalizer
            or ByteLevelNormalizer or PrecompiledNormalizer or StripNormalizer or PrependNormalizer => true,
        ReplaceNormalizer r => r.Literal is { } lit ? lit == " " || !HasSpaceLike(lit) : r.Regex!.Pattern is @"\s+" or " {2,}" || ClassRegex(r.Regex.Pattern),
        _ => false,
    };

    /// <summary>
    /// Whether every ASCII letter and digit stays out of whitespace and space markers (no Replace writing a space for
    /// one, no Precompiled mapping to one), measured after an "a" so what Prepend adds is left out. A letter beside a
    /// cut's space that became one would join the space into a run of whitespace or markers, which the pre-tokenizer
    /// keeps in one piece or BPE merges differently where a prefix ends than in the whole text.
    /// </summary>
    internal static bool LettersStay(INormalizer? normalizer)
    {
        if (normalizer is null) return true;
        string lead = Normalize(normalizer, "a");
        if (lead.Length == 0 || HasSpaceLike(lead[^1..])) return false;
        for (char c = '0'; c <= 'z'; c++)
        {
            if (!char.IsAsciiLetterOrDigit(c)) continue;
            string n = Normalize(normalizer, "a" + c);
            if (!n.StartsWith(lead, StringComparison.Ordinal) || HasSpaceLike(n[lead.Length..])) return false;
        }
        return true;
    }

    private static string Normalize(INormalizer normalizer, string text)
    {
        var ns = new NormalizedString(text);
        normalizer.Normalize(ns);
        return ns.ToString();
    }

    /// <summary>What the normalizer makes of the space in "a b" (the units aligned to it).</summary>
    private static string SpaceBecomes(INormalizer? normalizer)
    {
        if (normalizer is null) return " ";
        var ns = new NormalizedString("a b");
        normalizer.Normalize(ns);
        var sb = new StringBuilder();
        for (int i = 0; i < ns.Length; i++)
            if (ns.AlignStart(i) == 1) sb.Append(ns.Span[i]);
        return sb.ToString();
    }

    private static bool SplitsAtSpace(IPreTokenizer p) => p switch
    {
        BertPreTokenizer or WhitespacePreTokenizer or WhitespaceSplitPreTokenizer => true,
        MetaspacePreTokenizer { SplitPieces: true } => true,
        ByteLevelPreTokenizer { UseRegex: true } => true,
        CharDelimiterSplitPreTokenizer { Delimiter: 0x20 } => true,
        SplitPreTokenizer { Invert: false } s => s.Regex is { } r ? r.Pattern == @"\s+" || KnownSplitPatterns.Contains(r.Pattern) : s.Literal == " ",
        _ => false,
    };

    private static bool SplitsInside(IPreTokenizer p) => p switch
    {
        PunctuationPreTokenizer or DigitsPreTokenizer or CharDelimiterSplitPreTokenizer => true,
        SplitPreTokenizer s => s.Regex is { } r ? ClassRegex(r.Pattern) : !HasSpaceLike(s.Literal!),
        _ => false,
    };

    /// <summary>
    /// True for a regex that is one character class without whitespace, optionally repeated: <c>\p{N}</c>, <c>\d{4,}</c>,
    /// <c>[.,!?]</c>, <c>[\p{P}\p{S}]+</c>. Its matches are runs of non-space characters, which cannot reach across a space.
    /// </summary>
    internal static bool ClassRegex(string pattern)
    {
        int end;
        if (pattern.StartsWith('['))
        {
            end = pattern.IndexOf(']', 1);
            if (end < 2 || pattern[1] == '^') return false;
            var body = pattern.AsSpan(1, end - 1);
            if (body.Contains('[') || body.Contains(' ') || !SafeEscapes(body)) return false;
            end++;
        }
        else if (pattern.StartsWith(@"\p{"))
        {
            end = pattern.IndexOf('}') + 1;
            if (end <= 0 || !SafeEscapes(pattern.AsSpan(0, end))) return false;
        }
        else if (pattern.StartsWith(@"\d") || pattern.StartsWith(@"\w"))
        {
            end = 2;
        }
        else
        {
            return false;
        }
        var rest = pattern.AsSpan(end);
        if (rest.IsEmpty || rest is "+") return true;
        if (rest.Length < 3 || rest[0] != '{' || rest[^1] != '}') return false;
        foreach (char c in rest[1..^1])
            if (!char.IsAsciiDigit(c) && c != ',') return false;
        return char.IsAsciiDigit(rest[1]) && rest[1] != '0';
    }

    /// <summary>Backslash escapes inside a class: only \p{X} of non-separator, non-other categories, \d, \w, or an escaped punctuation character.</summary>
    private static bool SafeEscapes(ReadOnlySpan<char> body)
    {
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\') continue;
            if (i + 1 >= body.Length) return false;
            char e = body[i + 1];
            if (e == 'p')
            {
                if (i + 3 >= body.Length || body[i + 2] != '{' || body[i + 3] is 'Z' or 'C' or '^') return false;
                int close = body[i..].IndexOf('}');
                if (close < 0) return false;
                i += close;
                continue;
            }
            if (e is 'd' or 'w' || char.IsAsciiLetterOrDigit(e) is false && e != ' ')
            {
                i++;
                continue;
            }
            return false;
        }
        return true;
    }

    private static PrefixMode SinglePiece(IModel model, string marker)
    {
        if (model is not (BpeModel or UnigramModel) || model.TokenToId(marker) is null) return PrefixMode.None;
        for (int id = 0; id < model.IdBound; id++)
        {
            if (model.IdToToken(id) is not { } token) continue;
            for (int at = token.IndexOf(marker, 1, StringComparison.Ordinal); at > 0; at = token.IndexOf(marker, at + 1, StringComparison.Ordinal))
                if (!token.AsSpan(0, at).EndsWith(marker, StringComparison.Ordinal)) return PrefixMode.None;
        }
        return PrefixMode.SinglePiece;
    }

    /// <summary>Whitespace, or a space marker (SentencePiece's ▁, byte-level Ġ).</summary>
    private static bool HasSpaceLike(string s)
    {
        foreach (var r in s.EnumerateRunes())
            if (UnicodeData.IsWhitespace(r.Value) || r.Value is 0x2581 or 0x0120) return true;
        return false;
    }
}
