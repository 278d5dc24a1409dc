using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Truncating a long text reads only a prefix of it (<see cref="PrefixCut"/>), and keeps exactly the tokens the whole
/// text gives: for every fixture tokenizer, the shared UD texts joined into strings of 100–360 thousand characters are
/// encoded once whole (no truncation) and then with many max lengths (small ones cut inside words and, for byte-level
/// BPE, inside multi-byte letters like æ, ø, å); the kept tokens must be the whole encoding's first ones.
/// </summary>
[RunsLong(29)] // prefix truncation sweeps
public sealed class PrefixTruncationTests
{
    private static readonly int[] MaxLengths = [.. Enumerable.Range(1, 24), 31, 64, 100, 127, 256, 512];

    private static IEnumerable<string> FixtureNames() =>
        Directory.GetDirectories(FixturePaths.TokenizerFixtures)
            .Where(d => File.Exists(Path.Combine(d, "tokenizer.json")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)!;

    /// <summary>Each UD file joined by spaces and by newlines, and one with an emoji first (surrogate pairs: the general pipeline and code point offsets).</summary>
    private static List<(string Name, string Text)> LongTexts()
    {
        var texts = new List<(string, string)>();
        foreach (var file in Directory.GetFiles(SharedTextFactAttribute.Folder, "ud-*.txt").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            string name = Path.GetFileNameWithoutExtension(file);
            texts.Add((name + " joined by spaces", string.Join(' ', lines)));
            texts.Add((name + " joined by newlines", string.Join('\n', lines)));
        }
        texts.Add(("emoji first", "😀 " + string.Join(' ', File.ReadLines(Path.Combine(SharedTextFactAttribute.Folder, "ud-da.txt")))));
        return texts;
    }

    [SharedTextFact]
    public void TruncatedLongTextsKeepTheWholeTextsFirstTokens()
    {
        var texts = LongTexts();
        var notCut = new List<string>();
        foreach (var name in FixtureNames())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            if (tok.PrefixMode == PrefixMode.None) notCut.Add(name);
            var empty = tok.Encode("a");
            int specials = empty.SpecialTokensMask.Sum();
            foreach (var (textName, text) in texts)
            {
                var whole = tok.Encode(text);
                var wholeIds = whole.Ids.Where((_, i) => whole.SpecialTokensMask[i] == 0).ToArray();
                var wholeOffsets = whole.Offsets.Where((_, i) => whole.SpecialTokensMask[i] == 0).ToArray();
                foreach (int max in MaxLengths)
                {
                    long before = tok.LongTextChars;
                    var got = tok.Encode(text, maxLength: max);
                    string where = $"{name}, {textName}, max_length {max}";
                    int keep = Math.Max(0, Math.Min(wholeIds.Length, max - specials));
                    var gotIds = got.Ids.Where((_, i) => got.SpecialTokensMask[i] == 0).ToArray();
                    var gotOffsets = got.Offsets.Where((_, i) => got.SpecialTokensMask[i] == 0).ToArray();
                    Assert.True(gotIds.Length == keep, $"{where}: kept {gotIds.Length} tokens, expected {keep}");
                    for (int i = 0; i < keep; i++)
                    {
                        Assert.True(gotIds[i] == wholeIds[i], $"{where}: id {i} is {gotIds[i]}, whole text {wholeIds[i]}");
                        Assert.True(gotOffsets[i] == wholeOffsets[i], $"{where}: offsets {i} are {gotOffsets[i]}, whole text {wholeOffsets[i]}");
                    }
                    Assert.True(got.Length <= Math.Max(max, specials), $"{where}: {got.Length} tokens");
                    // HF's early cut keeps whole words up to max_length tokens, special tokens included: with none added, words
                    // that end exactly at max_length leave nothing overflowing although the text goes on (as the whole text does).
                    if (specials > 0)
                        Assert.True(got.Overflowing.Count > 0 == wholeIds.Length > keep, $"{where}: overflowing says {got.Overflowing.Count > 0}");
                    // Truncated says it either way.
                    Assert.True(got.Truncated == wholeIds.Length > keep, $"{where}: Truncated says {got.Truncated}");
                    if (tok.PrefixMode != PrefixMode.None)
                    {
                        long read = tok.LongTextChars - before;
                        Assert.True(read > 0 && read < text.Length / 4, $"{where}: {read} characters tokenized of {text.Length}");
                    }
                }
            }
        }
        // Visible in the test log: the fixtures whose pipeline has no prefix proof (they tokenize the whole text).
        Console.WriteLine($"PrefixTruncationTests: whole-text fallback for: {(notCut.Count == 0 ? "none" : string.Join(", ", notCut))}");
        Assert.Empty(notCut);
    }

    [SharedTextFact]
    public void BoundedTruncationEqualsFullTruncationForSinglesAndPairs()
    {
        var lines = File.ReadAllLines(Path.Combine(SharedTextFactAttribute.Folder, "ud-sv.txt"));
        string a = string.Join(' ', lines.Take(lines.Length / 2)), b = string.Join(' ', lines.Skip(lines.Length / 2));
        foreach (var name in FixtureNames())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            foreach (int max in new[] { 3, 20, 128 })
            {
                string where = $"{name}, max_length {max}";
                var full = tok.Encode(a, new TruncationOptions(max));
                var bounded = tok.Encode(a, maxLength: max);
                SameKept(full, bounded, where);
                // A single piece is tokenized whole by the full options: its pairs' overflowing windows multiply (HF's
                // merge of every window of A with every window of B), too many for a text this long.
                if (tok.PrefixMode != PrefixMode.Pieces) continue;
                Same(full.Overflowing, bounded.Overflowing, where);
                var fullPair = tok.EncodePair(a, b, new TruncationOptions(max));
                var boundedPair = tok.EncodePair(a, b, maxLength: max);
                SameKept(fullPair, boundedPair, where + " (pair)");
                long before = tok.LongTextChars;
                var batch = tok.EncodePairBatch([(a, b), ("kort", b)], max);
                Assert.True(tok.LongTextChars - before is > 0 and < 100_000, $"{where}: {tok.LongTextChars - before} characters read for a pair batch");
                SameKept(fullPair, batch[0], where + " (pair batch)");
                SameKept(tok.EncodePair("kort", b, new TruncationOptions(max)), batch[1], where + " (pair batch, short first)");
            }
        }
    }

    [Fact]
    public void EveryFamilyOfFixturesIsCutAndUnprovenPipelinesAreNot()
    {
        PrefixMode Mode(string name) => Tokenizer.FromFile(FixturePaths.TokenizerJson(name)).PrefixMode;
        foreach (var name in new[] { "wordpiece-uncased", "wordpiece-cased", "bpe-gpt2", "bpe-roberta", "bpe-llama3", "bpe-qwen2", "bpe-cl100k",
                     "bpe-o200k", "bpe-classic", "unigram", "unigram-bytefallback", "wordlevel", "wordpiece-nfc", "wordpiece-ctc" })
            Assert.True(Mode(name) == PrefixMode.Pieces, $"{name}: {Mode(name)}");
        Assert.Equal(PrefixMode.SinglePiece, Mode("bpe-mistral"));
        Assert.Equal(PrefixMode.SinglePiece, Mode("bpe-llama2"));
        var unproven = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("wordpiece-ctc")))!.AsObject();
        unproven["pre_tokenizer"] = System.Text.Json.Nodes.JsonNode.Parse("""{"type": "Split", "pattern": {"Regex": "\\w+ \\w+"}, "behavior": "Isolated", "invert": false}""");
        Assert.Equal(PrefixMode.None, Tokenizer.FromJson(unproven.ToJsonString()).PrefixMode);
        Assert.True(PrefixCut.ClassRegex(@"\d{4,}") && PrefixCut.ClassRegex(@"[\p{P}\p{S}]") && PrefixCut.ClassRegex(@"\p{N}+"));
        Assert.False(PrefixCut.ClassRegex(@"[^a]"), "a negated class may match a space");
        Assert.False(PrefixCut.ClassRegex(@"[\s,]"), "\\s matches a space");
        Assert.False(PrefixCut.ClassRegex(@"\p{Zs}"), "separators are spaces");
        Assert.False(PrefixCut.ClassRegex(@"a b"), "a space in the pattern");
        Assert.False(PrefixCut.ClassRegex(@"\w+ \w+"), "more than one class");
    }

    private static void SameKept(Encoding want, Encoding got, string where)
    {
        Assert.True(want.Ids.SequenceEqual(got.Ids), $"{where}: ids [{string.Join(",", want.Ids)}] vs [{string.Join(",", got.Ids)}]");
        Assert.True(want.Offsets.SequenceEqual(got.Offsets), $"{where}: offsets differ");
        Assert.True(want.Tokens.SequenceEqual(got.Tokens), $"{where}: tokens differ");
        Assert.True(want.TypeIds.SequenceEqual(got.TypeIds), $"{where}: type ids differ");
        Assert.True(want.SpecialTokensMask.SequenceEqual(got.SpecialTokensMask), $"{where}: special masks differ");
        Assert.True(want.Overflowing.Count > 0 == got.Overflowing.Count > 0, $"{where}: overflowing {want.Overflowing.Count} vs {got.Overflowing.Count}");
    }

    private static void Same(IReadOnlyList<Encoding> want, IReadOnlyList<Encoding> got, string where)
    {
        Assert.True(want.Count == got.Count, $"{where}: {want.Count} vs {got.Count} overflowing parts");
        for (int i = 0; i < want.Count; i++) SameKept(want[i], got[i], $"{where}, overflowing {i}");
    }
}
