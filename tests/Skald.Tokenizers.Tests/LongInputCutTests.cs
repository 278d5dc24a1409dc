using System.Text.Json.Nodes;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Long texts without a space between words (CJK, one long word, digits, punctuation, base64, mixed scripts, combining
/// marks, emoji ZWJ sequences, CRLF lines, NFC/NFD forms, lone surrogates) truncated to max_length keep exactly the
/// whole text's first tokens, offsets and Truncated flag on every fixture tokenizer, and those the pipeline can cut
/// (<see cref="CutTable"/>) are read only as far as needed.
/// </summary>
[RunsLong(35)] // long inputs cut
public sealed class LongInputCutTests
{
    private static readonly int[] MaxLengths = [1, 2, 3, 5, 8, 16, 64, 128];

    /// <summary>
    /// The (fixture, text) pairs that must be read in part, from the pipelines' rules: BERT splits at ASCII and CJK
    /// punctuation and around ideographs; the GPT regexes between letters and digits, and between a letter and
    /// punctuation; Qwen 2 between digits; bpe-classic at punctuation and digits; wordlevel between word and non-word
    /// characters; the SentencePiece fixtures' small vocabularies hold few punctuation pairs.
    /// </summary>
    internal static readonly Dictionary<string, string[]> MustCut = new()
    {
        ["wordpiece-uncased"] = ["cjk running", "cjk run", "punctuation", "base64", "mixed scripts", "emoji", "crlf", "nfc and nfd", "code lines"],
        ["wordpiece-cased"] = ["cjk running", "cjk run", "punctuation", "base64", "mixed scripts", "emoji", "crlf", "nfc and nfd", "code lines"],
        ["wordpiece-ctc"] = ["cjk running", "punctuation", "base64", "crlf", "code lines"],
        ["bpe-gpt2"] = ["cjk running", "base64", "crlf", "code lines"],
        ["bpe-roberta"] = ["cjk running", "base64", "crlf", "code lines"],
        ["bpe-llama3"] = ["cjk running", "base64", "crlf", "code lines"],
        ["bpe-cl100k"] = ["cjk running", "base64", "crlf", "code lines"],
        ["bpe-o200k"] = ["cjk running", "base64", "code lines"],
        ["bpe-qwen2"] = ["cjk running", "base64", "crlf", "digits", "code lines"],
        ["bpe-classic"] = ["cjk running", "punctuation", "digits", "base64", "crlf", "code lines"],
        ["wordlevel"] = ["cjk running", "base64", "crlf", "code lines"],
        ["unigram"] = ["punctuation"],
        ["unigram-bytefallback"] = ["code lines"],
        ["wordpiece-nfc"] = ["code lines"],
        ["bpe-mistral"] = ["punctuation"],
        ["bpe-llama2"] = ["punctuation"],
    };

    [Fact]
    public void AdversarialTextsKeepTheWholeTextsTruncation()
    {
        var texts = Texts();
        var missed = new List<string>();
        foreach (var name in Fixtures())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            int specials = tok.Encode("a").SpecialTokensMask.Sum();
            foreach (var (kind, text) in texts)
            {
                var whole = tok.Encode(text);
                var wholeIds = whole.Ids.Where((_, i) => whole.SpecialTokensMask[i] == 0).ToArray();
                var wholeOffsets = whole.Offsets.Where((_, i) => whole.SpecialTokensMask[i] == 0).ToArray();
                long read = 0;
                foreach (int max in MaxLengths)
                {
                    string where = $"{name}, {kind}, max_length {max}";
                    long before = tok.LongTextChars;
                    var got = tok.Encode(text, maxLength: max);
                    read = tok.LongTextChars - before;
                    int keep = Math.Max(0, Math.Min(wholeIds.Length, max - specials));
                    var ids = got.Ids.Where((_, i) => got.SpecialTokensMask[i] == 0).ToArray();
                    var offsets = got.Offsets.Where((_, i) => got.SpecialTokensMask[i] == 0).ToArray();
                    Assert.True(ids.Length == keep, $"{where}: kept {ids.Length} tokens, expected {keep}");
                    for (int i = 0; i < keep; i++)
                    {
                        Assert.True(ids[i] == wholeIds[i], $"{where}: id {i} is {ids[i]}, whole text {wholeIds[i]}");
                        Assert.True(offsets[i] == wholeOffsets[i], $"{where}: offsets {i} are {offsets[i]}, whole text {wholeOffsets[i]}");
                    }
                    Assert.True(got.Truncated == wholeIds.Length > keep, $"{where}: Truncated says {got.Truncated}");
                    if (specials > 0) Assert.True(got.Overflowing.Count > 0 == wholeIds.Length > keep, $"{where}: overflowing says {got.Overflowing.Count > 0}");
                }
                if (MustCut.TryGetValue(name, out var cut) && cut.Contains(kind) && read >= text.Length / 4)
                    missed.Add($"{name}/{kind} ({read} of {text.Length})");
            }
        }
        Assert.True(missed.Count == 0, "read whole although the pipeline can cut them: " + string.Join(", ", missed));
    }

    [SharedTextFact]
    public void SharedTextsWithoutSpacesKeepTheWholeTextsTruncation()
    {
        string ud = string.Join('\n', File.ReadLines(Path.Combine(SharedTextFactAttribute.Folder, "ud-sv.txt")).Take(400));
        var texts = new (string, string)[] { ("no spaces", ud.Replace(" ", "")), ("newlines for spaces", ud.Replace(' ', '\n')), ("tabs for spaces", ud.Replace(' ', '\t')) };
        foreach (var name in Fixtures())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            foreach (var (kind, text) in texts)
            {
                foreach (int max in new[] { 2, 7, 128 })
                {
                    var full = tok.Encode(text, new TruncationOptions(max));
                    var bounded = tok.Encode(text, maxLength: max);
                    string where = $"{name}, {kind}, max_length {max}";
                    Assert.True(full.Ids.SequenceEqual(bounded.Ids), $"{where}: ids differ");
                    Assert.True(full.Offsets.SequenceEqual(bounded.Offsets), $"{where}: offsets differ");
                    Assert.True(full.Truncated == bounded.Truncated, $"{where}: Truncated differs");
                }
            }
        }
    }

    /// <summary>
    /// What every cut promises, checked directly (not through truncation, where a long prefix hides a wrong cut): at
    /// each cut the table allows in the adversarial texts, no token of the whole text spans it, and the prefix up to it
    /// gives exactly the whole text's tokens before it (ids and offsets).
    /// </summary>
    [Fact]
    public void NoTokenSpansACutAndThePrefixGivesTheSameTokens()
    {
        var texts = Texts().Select(t => (t.Kind, t.Text[..3000])).ToList();
        foreach (var name in Fixtures())
            CutsHold(Tokenizer.FromFile(FixturePaths.TokenizerJson(name)), name, texts);
    }

    /// <summary>
    /// The fixtures' small vocabularies have no token joining punctuation to a letter, nor one holding a composed
    /// letter: with one added, a cut the GPT-4 regex does not allow (before a letter after punctuation), or one before
    /// a letter a combining mark follows (directly, or after a control character Nmt deletes), would be spanned.
    /// </summary>
    [Fact]
    public void CutsHoldWhereTheVocabularyJoinsWhatTheRegexOrNfkcJoins()
    {
        var bpe = JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("bpe-cl100k")))!.AsObject();
        var vocab = bpe["model"]!["vocab"]!.AsObject();
        vocab["!a"] = vocab.Count;
        bpe["model"]!["merges"]!.AsArray().Add(new JsonArray("!", "a"));
        var rnd = new Random(7);
        string joined = string.Concat(Enumerable.Range(0, 1500).Select(_ => rnd.Next(3) switch { 0 => "!a", 1 => "x", _ => "1" }));
        CutsHold(Tokenizer.FromJson(bpe.ToJsonString()), "bpe-cl100k with !a", [("punctuation then letter", joined)]);

        var unigram = JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("unigram-bytefallback")))!.AsObject();
        unigram["model"]!["vocab"]!.AsArray().Add(new JsonArray("x\u00E9", 0.0));
        string composed = string.Concat(Enumerable.Range(0, 1500).Select(_ => rnd.Next(4) switch { 0 => "xe\u0301", 1 => "xe\u0001\u0301", 2 => "x", _ => "e" }));
        CutsHold(Tokenizer.FromJson(unigram.ToJsonString()), "unigram-bytefallback with x\u00E9", [("e and a combining acute", composed)]);
    }

    /// <summary>
    /// What every cut promises, checked directly (not through truncation, where a long prefix hides a wrong cut): at
    /// the cuts the table allows (up to 40 spread over each text), no token of the whole text spans the cut, and the
    /// prefix up to it gives exactly the whole text's tokens before it (ids and offsets).
    /// </summary>
    private static void CutsHold(Tokenizer tok, string name, IReadOnlyList<(string Kind, string Text)> texts)
    {
        var cuts = tok.Cuts;
        foreach (var (kind, text) in texts)
        {
            var whole = tok.EncodeSequence(text, 0);
            var all = new List<int>();
            for (int i = cuts.Next(text, 1, out _); i > 0; i = cuts.Next(text, i + 1, out _)) all.Add(i);
            foreach (int cut in all.Where((_, k) => k % Math.Max(1, all.Count / 40) == 0))
            {
                string where = $"{name}, {kind}, cut at {cut} between U+{(int)text[cut - 1]:X4} and U+{(int)text[cut]:X4}";
                Assert.False(whole.Offsets.Any(o => o.Start < cut && o.End > cut), $"{where}: a token of the whole text spans the cut");
                var prefix = tok.EncodeSequence(text[..cut], 0);
                var before = Enumerable.Range(0, whole.Count).Where(k => whole.Offsets[k].End <= cut).ToList();
                Assert.True(prefix.Count == before.Count, $"{where}: {prefix.Count} tokens in the prefix, {before.Count} before the cut");
                for (int k = 0; k < before.Count; k++)
                {
                    Assert.True(prefix.Ids[k] == whole.Ids[before[k]] && prefix.Offsets[k] == whole.Offsets[before[k]],
                        $"{where}: token {k} is {prefix.Tokens[k]} {prefix.Offsets[k]}, whole text {whole.Tokens[before[k]]} {whole.Offsets[before[k]]}");
                }
            }
        }
    }

    /// <summary>
    /// A pair truncated longest first gives the longer sequence the odd token: which one is longer is the whole texts'
    /// early cuts, not their prefixes' (a start of short tokens followed by long ones, against the reverse).
    /// </summary>
    [Fact]
    public void PairsOfLongTextsShareMaxLengthAsTheWholeTextsDo()
    {
        var rnd = new Random(3);
        string Words(int n, string[] w, char sep) => string.Join(sep, Enumerable.Range(0, n).Select(_ => w[rnd.Next(w.Length)]));
        string[] sparse = ["fjellet", "og", "fjorden", "skogen"], dense = ["q", "z", "x", "1", "%"];
        foreach (var (name, sep) in new[] { ("bpe-mistral", ' '), ("unigram", '-'), ("bpe-gpt2", '-') })
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            string a = Words(400, sparse, sep) + sep + Words(2000, dense, sep), b = Words(900, dense, sep);
            foreach (int max in new[] { 127, 129 })
            {
                var full = tok.EncodePair(a, b, new TruncationOptions(max));
                var bounded = tok.EncodePair(a, b, maxLength: max);
                string where = $"{name}, max_length {max}";
                Assert.True(full.Ids.SequenceEqual(bounded.Ids), $"{where}: ids differ");
                Assert.True(full.TypeIds.SequenceEqual(bounded.TypeIds), $"{where}: type ids differ");
                Assert.True(full.Offsets.SequenceEqual(bounded.Offsets), $"{where}: offsets differ");
            }
        }
    }

    /// <summary>
    /// A pair truncated only_first (only_second) keeps the other text whole and as many of the truncated one's first or
    /// last tokens as fit: the truncated text is read only as far as those, also for a single SentencePiece piece, whose
    /// count never decides anything there; longest_first reads each text until its count is proven (a single piece:
    /// whole). Same ids, type ids, offsets and Truncated as the full options.
    /// </summary>
    [Fact]
    public void PairsAreReadOnlyAsFarAsTheirStrategyNeeds()
    {
        string longText = string.Join(' ', Enumerable.Range(0, 40_000).Select(i => $"ord{i % 97}"));
        const string shortText = "ett kort svar";
        foreach (var name in new[] { "wordpiece-uncased", "bpe-cl100k", "bpe-mistral", "wordlevel" })
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            foreach (var direction in new[] { TruncationDirection.Right, TruncationDirection.Left })
            {
                foreach (var (strategy, a, b) in new[] { (TruncationStrategy.OnlyFirst, longText, shortText), (TruncationStrategy.OnlySecond, shortText, longText), (TruncationStrategy.LongestFirst, longText, shortText) })
                {
                    string where = $"{name}, {strategy}, {direction}";
                    var want = tok.EncodePair(a, b, new TruncationOptions(64, strategy, Direction: direction));
                    long before = tok.LongTextChars;
                    var got = tok.EncodePair(a, b, 64, strategy, direction);
                    long read = tok.LongTextChars - before;
                    Assert.True(want.Ids.SequenceEqual(got.Ids) && want.TypeIds.SequenceEqual(got.TypeIds) && want.Offsets.SequenceEqual(got.Offsets), $"{where}: encodings differ");
                    Assert.True(want.Truncated == got.Truncated, $"{where}: Truncated differs");
                    bool whole = strategy == TruncationStrategy.LongestFirst && tok.PrefixMode == PrefixMode.SinglePiece;
                    Assert.True(whole || read < longText.Length / 4, $"{where}: read {read} of {longText.Length} characters");
                }
            }
        }
    }

    [Fact]
    public void TablesFollowEachPipelinesSplits()
    {
        CutKind At(string fixture, char l, char r) =>
            Tokenizer.FromFile(FixturePaths.TokenizerJson(fixture)).Cuts[CutTable.Symbol(l), CutTable.Symbol(r)];
        Assert.Equal(CutKind.Split, At("wordpiece-uncased", 'a', '!'));
        Assert.Equal(CutKind.Split, At("wordpiece-uncased", '\u4E2D', '\u6587'));
        Assert.Equal(CutKind.None, At("wordpiece-uncased", 'a', 'b'));
        Assert.Equal(CutKind.None, At("wordpiece-uncased", 'S', ']')); // inside the added token [SEP]
        Assert.Equal(CutKind.Split, At("bpe-gpt2", 'a', '1'));
        Assert.Equal(CutKind.Split, At("bpe-gpt2", '!', 'a'));
        Assert.NotEqual(CutKind.Split, At("bpe-cl100k", '!', 'a')); // punctuation leads a letter chunk
        Assert.NotEqual(CutKind.Split, At("bpe-gpt2", '\'', 's')); // a contraction
        Assert.Equal(CutKind.Split, At("bpe-qwen2", '1', '2'));
        Assert.NotEqual(CutKind.Split, At("bpe-llama3", '1', '2')); // groups of three digits
        Assert.Equal(CutKind.None, At("wordlevel", '1', '2')); // Replace(\d{4,}) joins digits
        Assert.NotEqual(CutKind.Split, At("bpe-mistral", 'a', '!')); // one piece: only the vocabulary can break it
        LineCuts Lines(string fixture) => Tokenizer.FromFile(FixturePaths.TokenizerJson(fixture)).Cuts.Lines;
        const LineCuts all = LineCuts.Tab | LineCuts.Newline | LineCuts.CrLf;
        foreach (var f in new[] { "wordpiece-uncased", "wordpiece-ctc", "wordpiece-nfc", "bpe-gpt2", "bpe-cl100k", "bpe-o200k", "bpe-llama3", "bpe-qwen2", "bpe-classic", "wordlevel", "unigram-bytefallback" })
            Assert.True(Lines(f) == all, $"{f}: {Lines(f)}");
        Assert.Equal(LineCuts.None, Lines("wordpiece-split")); // splits at " " only: "a\nb" is one word
        Assert.Equal(LineCuts.None, Lines("bpe-mistral")); // one piece
        // A Replace deleting text may let a combining mark reach a cut's right-hand character: spaces only.
        var deleting = JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("wordpiece-nfc")))!.AsObject();
        deleting["normalizer"] = JsonNode.Parse("""{"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"String": "-"}, "content": ""}, {"type": "NFC"}]}""");
        var cuts = Tokenizer.FromJson(deleting.ToJsonString()).Cuts;
        Assert.True(cuts.Count(CutKind.Split) + cuts.Count(CutKind.Inside) == 0, "a deleting Replace leaves cuts");
        Assert.NotEqual(0, Tokenizer.FromFile(FixturePaths.TokenizerJson("wordpiece-nfc")).Cuts.Count(CutKind.Split));
    }

    private static IEnumerable<string> Fixtures() => AdversarialTexts.Fixtures();

    private static List<(string Kind, string Text)> Texts() => AdversarialTexts.Make();
}
