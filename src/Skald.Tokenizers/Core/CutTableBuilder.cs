using System.Text;
using Skald.Tokenizers.Models;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Core;

/// <summary>
/// Builds a pipeline's <see cref="CutTable"/>: for each pair of symbols (left L, right R) whether a text may be cut
/// between them. The argument, per pair:
/// <list type="bullet">
/// <item>Normalizer: the pipeline is one <see cref="PrefixCut.Analyze"/> accepted, so every component is local around a
/// character that is neither whitespace nor a combining mark: L and R (printable ASCII, CJK ideographs) are starters no
/// composition takes as second character, grapheme clusters break between them, and Strip/Prepend only touch the ends.
/// What each becomes is measured by normalizing it after an "a" (it must stay one character of the alphabet, or for
/// BertNormalizer's CJK handling an ideograph between spaces); a Replace literal holding L then R, or a repeated class
/// regex matching both, forbids the pair.</item>
/// <item>Pre-tokenizer: each component in order must be prefix-stable at the pair (cutting the text there gives the
/// pieces of the whole text cut there: true of character classes, runs of a class, and the GPT regexes' letter, digit
/// and punctuation runs), and one of them must split there, or else the model must break there. Pieces split by an
/// earlier component are never joined by a later one.</item>
/// <item>Model: a BPE (no dropout, no subword prefix or word suffix) or Unigram vocabulary in which no entry holds the
/// model characters of L and R side by side (byte-level: L's last and R's first byte), both being entries themselves
/// (no unknown or byte-fallback symbol to fuse): no merge and no Unigram piece spans the cut, so BPE merges each side
/// alike and the Unigram best path passes through it, its part before the cut being the prefix's best path.</item>
/// <item>Added tokens: a pair found side by side in an added token (raw, normalized or lower-cased) is no cut.</item>
/// </list>
/// </summary>
internal static partial class CutTableBuilder
{
    private const string Gpt2 = "gpt2", Gpt4 = "gpt4", Qwen2 = "qwen2", O200k = "o200k";

    /// <summary>
    /// The table of a pipeline <see cref="PrefixCut.Analyze"/> gave <paramref name="mode"/>; with
    /// <paramref name="pairwiseLetters"/> its word letters are found trying every pair (the reference the classes of
    /// letters are tested against), not a letter of each class.
    /// </summary>
    public static CutTable Build(PrefixMode mode, INormalizer? normalizer, IPreTokenizer? preTokenizer, IModel model, IReadOnlyList<AddedToken> added, bool pairwiseLetters = false)
    {
        if (mode == PrefixMode.None || MayJoinAfterReplace(normalizer)) return CutTable.SpacesOnly;
        var parts = preTokenizer switch
        {
            null => [],
            SequencePreTokenizer s => s.PreTokenizers,
            _ => (IReadOnlyList<IPreTokenizer>)[preTokenizer],
        };
        var images = Images(normalizer, out bool spacedIdeographs);
        bool byteLevel = parts.Any(p => p is ByteLevelPreTokenizer) || Contains<ByteLevelNormalizer>(normalizer);
        var vocab = ModelPairs.For(model, byteLevel);
        var forbidden = Forbidden(normalizer, added);
        var cells = new CutKind[CutTable.Symbols * CutTable.Symbols];
        for (int l = 0; l < CutTable.Symbols; l++)
        {
            for (int r = 0; r < CutTable.Symbols; r++)
            {
                if (forbidden.Contains((l, r)) || !NormalizerAllows(normalizer, CutTable.Char(l), CutTable.Char(r))) continue;
                bool ideographs = l == CutTable.Ideograph || r == CutTable.Ideograph;
                if (ideographs && spacedIdeographs)
                {
                    // BertNormalizer put spaces around the ideograph; a first pre-tokenizer dropping whitespace splits there.
                    if (mode == PrefixMode.Pieces && parts.Count > 0 && DropsWhitespace(parts[0])) cells[l * CutTable.Symbols + r] = CutKind.Split;
                    continue;
                }
                if (images[l] is not char li || images[r] is not char ri || forbidden.Contains((CutTable.Symbol(li), CutTable.Symbol(ri)))) continue;
                cells[l * CutTable.Symbols + r] = Decide(parts, li, ri, vocab, normalizer);
            }
        }
        return new CutTable(cells, mode == PrefixMode.Pieces ? Lines(normalizer, parts) : LineCuts.None,
            mode == PrefixMode.Pieces ? WordChars(normalizer, parts, images, added, letters: model is WordPieceModel, pairwiseLetters) : null);
    }

    /// <summary>
    /// The tab, line feed and CR LF cuts (between two ASCII letters or digits) of a <see cref="PrefixMode.Pieces"/>
    /// pipeline. The normalizer is local around the run (every accepted component maps characters or grapheme
    /// clusters, and control characters break clusters; Strip and Prepend touch only the ends); what it makes of the run
    /// is measured between "a" and "b" and must be whitespace only, and no Replace regex but <c>\s+</c> and
    /// <c> {2,}</c> may match it (a class run could join it to a letter). Then one pre-tokenizer component must split
    /// there, with every component before it stable: the whitespace splitters, ByteLevel's GPT-2 regex and the known GPT
    /// regexes split at any whitespace (no alternative matches a letter or digit followed by whitespace); a split on the
    /// space, Metaspace and CharDelimiterSplit(' ') only where the run became spaces; punctuation, digits, another
    /// delimiter and a space-free literal leave whitespace alone, and a class regex must not match it.
    /// </summary>
    private static LineCuts Lines(INormalizer? normalizer, IReadOnlyList<IPreTokenizer> parts)
    {
        var lines = LineCuts.None;
        foreach (var (run, flag) in new[] { ("\t", LineCuts.Tab), ("\n", LineCuts.Newline), ("\r\n", LineCuts.CrLf) })
        {
            if (MatchedByReplace(normalizer, run) || RunImage(normalizer, run) is not { Length: > 0 } image || !image.All(c => UnicodeData.IsWhitespace(c))) continue;
            bool spaces = image.All(c => c == ' ');
            foreach (var p in parts)
            {
                bool? splits = p switch
                {
                    BertPreTokenizer or WhitespacePreTokenizer or WhitespaceSplitPreTokenizer or ByteLevelPreTokenizer { UseRegex: true } => true,
                    SplitPreTokenizer { Invert: false, Regex: { } re } when re.Pattern == @"\s+" || KnownPattern(re.Pattern) is not null => true,
                    SplitPreTokenizer { Invert: false, Literal: " " } or CharDelimiterSplitPreTokenizer { Delimiter: 0x20 } or MetaspacePreTokenizer { SplitPieces: true } => spaces ? true : false,
                    PunctuationPreTokenizer or DigitsPreTokenizer or CharDelimiterSplitPreTokenizer or ByteLevelPreTokenizer or MetaspacePreTokenizer => false,
                    SplitPreTokenizer { Literal: { } lit } when !lit.Any(c => UnicodeData.IsWhitespace(c)) => false,
                    SplitPreTokenizer { Regex: { } re } when PrefixCut.ClassRegex(re.Pattern) && !Matches(re, image) => false,
                    _ => null, // not argued: no cut
                };
                if (splits is null) break;
                if (splits.Value)
                {
                    lines |= flag;
                    break;
                }
            }
        }
        return lines;
    }

    /// <summary>What the normalizer makes of <paramref name="run"/> between "a" and "b" (the units aligned inside it), or null when the letters change.</summary>
    private static string? RunImage(INormalizer? normalizer, string run)
    {
        if (normalizer is null) return run;
        var ns = new NormalizedString("a" + run + "b");
        normalizer.Normalize(ns);
        var sb = new StringBuilder();
        for (int i = 0; i < ns.Length; i++)
        {
            int at = ns.AlignStart(i);
            if (at >= 1 && at <= run.Length) sb.Append(ns.Span[i]);
        }
        return sb.ToString();
    }

    /// <summary>A Replace regex of the normalizer other than <c>\s+</c> and <c> {2,}</c> matching inside <paramref name="run"/>.</summary>
    private static bool MatchedByReplace(INormalizer? n, string run) => n switch
    {
        SequenceNormalizer s => s.Normalizers.Any(x => MatchedByReplace(x, run)),
        ReplaceNormalizer { Regex: { } re } => re.Pattern is not (@"\s+" or " {2,}") && Matches(re, run),
        _ => false,
    };

    private static bool Matches(OnigRegex re, string text)
    {
        var found = new List<(int Start, int End)>();
        foreach (char c in text)
        {
            found.Clear();
            re.Matches(c.ToString(), found);
            if (found.Count > 0) return true;
        }
        return false;
    }

    private static CutKind Decide(IReadOnlyList<IPreTokenizer> parts, char l, char r, ModelPairs? vocab, INormalizer? normalizer)
    {
        if (!NormalizerAllows(normalizer, l, r)) return CutKind.None;
        foreach (var p in parts)
        {
            var (stable, split) = Rule(p, l, r);
            if (split) return CutKind.Split;
            if (!stable) return CutKind.None;
        }
        return vocab is not null && vocab.Breaks(l, r) ? CutKind.Inside : CutKind.None;
    }

    /// <summary>Whether component <paramref name="p"/> is prefix-stable between <paramref name="l"/> and <paramref name="r"/>, and whether it splits there.</summary>
    private static (bool Stable, bool Split) Rule(IPreTokenizer p, char l, char r)
    {
        switch (p)
        {
            case BertPreTokenizer:
                return (true, BertPreTokenizer.IsBertPunctuation(l) || BertPreTokenizer.IsBertPunctuation(r));
            case WhitespacePreTokenizer:
                return (true, UnicodeData.Is(l, UnicodeData.Word) != UnicodeData.Is(r, UnicodeData.Word));
            case WhitespaceSplitPreTokenizer or MetaspacePreTokenizer or ByteLevelPreTokenizer { UseRegex: false }:
                return (true, false);
            case ByteLevelPreTokenizer:
                return Gpt(Gpt2, l, r);
            case PunctuationPreTokenizer punct:
                return (true, Splits(punct.Behavior, PunctuationPreTokenizer.IsPunctuation(l), PunctuationPreTokenizer.IsPunctuation(r), false));
            case DigitsPreTokenizer digits:
                bool dl = DigitsPreTokenizer.IsNumeric(l), dr = DigitsPreTokenizer.IsNumeric(r);
                return (true, digits.IndividualDigits ? dl || dr : dl != dr);
            case CharDelimiterSplitPreTokenizer c:
                return (true, l == c.Delimiter || r == c.Delimiter);
            case SplitPreTokenizer { Invert: false } s when s.Literal is { } lit:
                if (lit.Length == 1) return (true, Splits(s.Behavior, l == lit[0], r == lit[0], false));
                return (!lit.Contains(string.Concat(l, r), StringComparison.Ordinal), false);
            case SplitPreTokenizer { Invert: false } s when s.Regex is { } re:
                if (re.Pattern == @"\s+") return (true, false);
                if (KnownPattern(re.Pattern) is { } family) return Gpt(family, l, r);
                if (!PrefixCut.ClassRegex(re.Pattern)) return (false, false);
                var cls = RegexClass.Of(re);
                if (cls is null) return (false, false);
                bool ml = cls.Matches(l), mr = cls.Matches(r);
                if (!cls.Repeated) return (true, Splits(s.Behavior, ml, mr, false));
                if (ml && mr) return (false, false);
                return (true, cls.MinRepeat == 1 && Splits(s.Behavior, ml, mr, true));
            default:
                return (false, false);
        }
    }

    /// <summary>Whether a split on matches of a class (<paramref name="runs"/>: runs of it) with <paramref name="behavior"/> breaks between L and R.</summary>
    private static bool Splits(SplitBehavior behavior, bool left, bool right, bool runs) => behavior switch
    {
        SplitBehavior.Removed or SplitBehavior.Isolated => runs ? left != right : left || right,
        SplitBehavior.Contiguous => left != right,
        SplitBehavior.MergedWithPrevious => left && !(runs && right),
        SplitBehavior.MergedWithNext => right && !(runs && left),
        _ => false,
    };

    /// <summary>
    /// The GPT split regexes between two non-space characters: letter runs (<c>\p{L}+</c>, after one optional
    /// non-letter in the GPT-4 family), digit runs (GPT-2), groups of one (Qwen 2) or up to three digits, punctuation runs,
    /// and contractions starting at an apostrophe. A pair inside one run is stable (a cut run is the prefix's run);
    /// a pair where no alternative reaches from L into R splits; o200k's case-split letters and contraction suffixes
    /// are not argued, so a letter next to a letter or an apostrophe gives nothing there.
    /// </summary>
    private static (bool Stable, bool Split) Gpt(string family, char l, char r)
    {
        int kl = GptClass(l), kr = GptClass(r); // 0 letter, 1 digit, 2 apostrophe, 3 other
        bool gpt4 = family != Gpt2;
        return (kl, kr) switch
        {
            (0, 0) => (family != O200k, false),
            (0, 2) => (family != O200k, family != O200k),
            (0, _) => (true, true),
            (1, 1) => (true, family == Qwen2),
            (1, _) => (true, true),
            (2, 0) => (false, false),
            (3, 0) => (!gpt4, !gpt4),
            (_, 1) => (true, true),
            _ => (true, false), // apostrophe or other punctuation followed by one: one punctuation run
        };
    }

    private static int GptClass(char c) => c == '\'' ? 2 : char.IsLetter(c) ? 0 : char.IsDigit(c) ? 1 : 3;

    private static string? KnownPattern(string pattern)
    {
        if (pattern == Llama3SplitScanner.Pattern) return Gpt4;
        int i = Array.IndexOf(PrefixCut.KnownSplitPatterns, pattern);
        return i switch { 0 => Gpt4, 1 => O200k, 2 => Qwen2, 3 => Gpt4, _ => null };
    }

    private static bool DropsWhitespace(IPreTokenizer p) =>
        p is BertPreTokenizer or WhitespacePreTokenizer or WhitespaceSplitPreTokenizer;

    /// <summary>What each symbol becomes after the normalizer (null: not one character of the alphabet).</summary>
    private static char?[] Images(INormalizer? normalizer, out bool spacedIdeographs)
    {
        spacedIdeographs = false;
        var images = new char?[CutTable.Symbols];
        if (normalizer is null)
        {
            for (int s = 0; s < CutTable.Symbols; s++) images[s] = CutTable.Char(s);
            return images;
        }
        // Each symbol after an "a" (so Prepend and Strip leave it alone); the ideographs all at once.
        string lead = Normalize(normalizer, "a");
        for (int s = 0; s < CutTable.Symbols; s++)
        {
            if (s == CutTable.Ideograph) continue;
            string n = Normalize(normalizer, "a" + CutTable.Char(s));
            if (n.Length == lead.Length + 1 && n.StartsWith(lead, StringComparison.Ordinal) && CutTable.Symbol(n[^1]) is int image and >= 0 && image != CutTable.Ideograph)
                images[s] = n[^1];
        }
        var all = new StringBuilder("a");
        for (char c = '\u4E00'; c <= '\u9FA5'; c++) all.Append(c);
        string whole = all.ToString();
        if (Normalize(normalizer, whole) == lead + whole[1..]) images[CutTable.Ideograph] = '\u4E00';
        else spacedIdeographs = normalizer is BertNormalizer { HandleChineseChars: true };
        return images;
    }

    private static string Normalize(INormalizer normalizer, string text)
    {
        var ns = new NormalizedString(text);
        normalizer.Normalize(ns);
        return ns.ToString();
    }

    /// <summary>A Replace of the normalizer that could join L and R: a literal holding them, a repeated class matching both.</summary>
    private static bool NormalizerAllows(INormalizer? n, char l, char r) => n switch
    {
        SequenceNormalizer s => s.Normalizers.All(x => NormalizerAllows(x, l, r)),
        // A longer literal may match text an earlier component made: none of its characters may stand at the cut.
        ReplaceNormalizer { Literal: { } lit } => lit.Length < 2 || !ContainsEither(lit, l, r),
        ReplaceNormalizer { Regex: { } re } when PrefixCut.ClassRegex(re.Pattern) =>
            RegexClass.Of(re) is { } cls && !(cls.Repeated && cls.Matches(l) && cls.Matches(r)),
        ReplaceNormalizer => true, // \s+ and " {2,}": whitespace only
        _ => true,
    };

    private static bool ContainsEither(string s, char l, char r) =>
        s.Contains(l, StringComparison.OrdinalIgnoreCase) || s.Contains(r, StringComparison.OrdinalIgnoreCase) || l == '\u4E00' && s.Any(c => CutTable.Symbol(c) == CutTable.Ideograph) || r == '\u4E00' && s.Any(c => CutTable.Symbol(c) == CutTable.Ideograph);

    /// <summary>
    /// A Replace that deletes text or writes a combining mark: the character after a cut's right-hand one could then
    /// compose with it in a later NFC or NFKC, which <see cref="CutTable"/> only rules out for marks in the text itself.
    /// </summary>
    private static bool MayJoinAfterReplace(INormalizer? n) => n switch
    {
        SequenceNormalizer s => s.Normalizers.Any(MayJoinAfterReplace),
        ReplaceNormalizer r => r.Content.Length == 0 || r.Content.Any(c => UnicodeData.Is(c, UnicodeData.CombiningMark)),
        _ => false,
    };

    private static bool Contains<T>(INormalizer? n) => n is T || n is SequenceNormalizer s && s.Normalizers.Any(Contains<T>);

    /// <summary>The symbol pairs side by side in an added token, as it is, normalized, or in lower case.</summary>
    private static HashSet<(int, int)> Forbidden(INormalizer? normalizer, IReadOnlyList<AddedToken> added)
    {
        var pairs = new HashSet<(int, int)>();
        foreach (var t in added)
        {
            foreach (string form in (string[])[t.Content, t.Content.ToLowerInvariant(), t.Content.ToUpperInvariant(),
                         normalizer is null ? t.Content : Normalize(normalizer, t.Content)])
            {
                for (int i = 1; i < form.Length; i++)
                {
                    int a = CutTable.Symbol(form[i - 1]), b = CutTable.Symbol(form[i]);
                    if (a >= 0 && b >= 0) pairs.Add((a, b));
                }
            }
        }
        return pairs;
    }
}
