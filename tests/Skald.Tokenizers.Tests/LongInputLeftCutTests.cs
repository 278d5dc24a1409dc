using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Left truncation (<see cref="TruncationDirection.Left"/>) of long texts keeps exactly the whole text's last tokens,
/// offsets and Truncated flag on every fixture tokenizer (<see cref="SuffixCut"/>): the adversarial texts as they are
/// (mostly without a space between words: cut where the pipeline splits, at punctuation, ideographs, tabs and line
/// breaks, or a single BPE piece's vocabulary breaks) and with words spaced in (read only from near their end), and the
/// shared UD texts.
/// </summary>
[RunsLong(86)] // long inputs cut from the left, against the oracle
public sealed class LongInputLeftCutTests
{
    private static readonly int[] MaxLengths = [1, 16, 128];

    [Fact]
    public void AdversarialTextsKeepTheWholeTextsLastTokens()
    {
        var texts = AdversarialTexts.Make();
        texts.AddRange(texts.Select(t => (t.Kind + ", spaced", Spaced(t.Text))).ToList());
        var missed = new List<string>();
        foreach (var name in AdversarialTexts.Fixtures())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            foreach (var (kind, text) in texts)
            {
                long read = 0;
                // A text without whitespace is cut only where the pipeline splits (or not at all): two max lengths keep it quick.
                foreach (int max in text.AsSpan().IndexOfAny(" \t\n\r") < 0 ? [1, 16] : MaxLengths)
                {
                    // The whole text truncated by the full options (HF's early cut from the end, then post-processing:
                    // ByteLevel's offset trimming treats the first kept token as the text's first, so the kept tokens
                    // are not simply the untruncated encoding's last ones).
                    var want = tok.Encode(text, new TruncationOptions(max, Direction: TruncationDirection.Left));
                    long before = tok.LongTextChars;
                    var got = tok.Encode(text, max, TruncationDirection.Left);
                    if (max == 16) read = tok.LongTextChars - before;
                    Same(want, got, $"{name}, {kind}, max_length {max}", tok.PrefixMode == PrefixMode.Pieces);
                }
                // Words between tabs and line breaks are cut where the pipeline splits at them (CutTable.Lines), the
                // texts without whitespace where it splits between pieces (LongInputCutTests.MustCut, but the vocabulary
                // breaks of Unigram, which a suffix does not take).
                bool cuttable = kind.EndsWith(", spaced", StringComparison.Ordinal)
                    || kind == "code lines" && tok.Cuts.Lines == (LineCuts.Tab | LineCuts.Newline | LineCuts.CrLf)
                    || LongInputCutTests.MustCut.TryGetValue(name, out var cut) && cut.Contains(kind) && !name.StartsWith("unigram", StringComparison.Ordinal);
                if (cuttable && read >= text.Length / 4)
                    missed.Add($"{name}/{kind} ({read} of {text.Length} at max_length 16)");
            }
        }
        Assert.True(missed.Count == 0, "read whole although a cut the pipeline splits at (a space, a tab or line break, punctuation, ideographs) allows a suffix: " + string.Join(", ", missed));
    }

    [SharedTextFact]
    public void SharedTextsKeepTheWholeTextsLastTokensReadingOnlyTheirEnd()
    {
        var texts = new List<(string Name, string Text)>();
        foreach (var file in Directory.GetFiles(SharedTextFactAttribute.Folder, "ud-*.txt").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            texts.Add((Path.GetFileName(file) + " joined by spaces", string.Join(' ', lines)));
            texts.Add((Path.GetFileName(file) + " joined by newlines", string.Join('\n', lines)));
        }
        // Surrogate pairs before the suffix: its offsets need the code points before it counted.
        texts.Add(("emoji between the words", string.Join(' ', File.ReadLines(Path.Combine(SharedTextFactAttribute.Folder, "ud-da.txt")).Select((l, i) => i % 3 == 0 ? "😀" + l : l))));
        int turn = 0;
        foreach (var name in AdversarialTexts.Fixtures())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            turn++;
            foreach (var (textName, text) in texts)
            {
                // One max length per text and fixture, alternating, so each fixture meets both across its texts.
                foreach (int max in new[] { turn++ % 2 == 0 ? 7 : 128 })
                {
                    string where = $"{name}, {textName}, max_length {max}";
                    var want = tok.Encode(text, new TruncationOptions(max, Direction: TruncationDirection.Left));
                    long before = tok.LongTextChars;
                    var got = tok.Encode(text, max, TruncationDirection.Left);
                    long read = tok.LongTextChars - before;
                    Same(want, got, where, tok.PrefixMode == PrefixMode.Pieces);
                    Assert.True(read > 0 && read < text.Length / 4, $"{where}: {read} characters tokenized of {text.Length}");
                }
            }
        }
    }

    /// <summary>
    /// A suffix's first piece is not the whole text's where the pipeline acts at a text's start (Prepend "&gt;" with
    /// wordpiece-split, or "ab" joining the first word; Prepend "▁" with Llama 2's single piece; Strip): words a few tokens long between words of one
    /// token ([UNK] past 100 characters, or a single BPE piece), with every max length up to 40, make the early cut of
    /// some suffixes reach their first piece, which must then not be taken.
    /// </summary>
    [Fact]
    public void ASuffixsFirstPieceIsNeverTaken()
    {
        var rnd = new Random(5);
        string longWord = new('q', 120);
        // wordpiece-split with Prepend "ab": a suffix's first word "ab3" becomes "abab3", a token more than the whole text's.
        var prepending = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("wordpiece-split")))!.AsObject();
        prepending["normalizer"]!["normalizers"]![2]!["prepend"] = "ab";
        var tokenizers = new[] { "wordpiece-split", "bpe-llama2", "wordlevel", "wordpiece-nfc", "bpe-roberta", "unigram" }
            .Select(n => (n, Tokenizer.FromFile(FixturePaths.TokenizerJson(n))))
            .Append(("wordpiece-split prepending ab", Tokenizer.FromJson(prepending.ToJsonString())));
        foreach (var (name, tok) in tokenizers)
        {
            foreach (var (word, period) in new[] { longWord, "a" }.SelectMany(w => Enumerable.Range(2, 5).Select(p => (w, p))))
            {
                string text = string.Join(' ', Enumerable.Range(0, 400).Select(i => i % period == 0 ? "ab" + rnd.Next(10) : word));
                foreach (int max in Enumerable.Range(1, 12).Concat([16, 21, 27, 34, 40]))
                {
                    var want = tok.Encode(text, new TruncationOptions(max, Direction: TruncationDirection.Left));
                    Same(want, tok.Encode(text, max, TruncationDirection.Left), $"{name}, words of {word.Length}, a short one every {period}, max_length {max}", tok.PrefixMode == PrefixMode.Pieces);
                }
            }
        }
    }

    [Fact]
    public void RightTruncationAndNoMaxLengthTakeTheirOwnPaths()
    {
        var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson("wordpiece-uncased"));
        string text = string.Join(' ', Enumerable.Range(0, 4000).Select(i => $"ord{i}"));
        Assert.Equal(tok.Encode(text, maxLength: 9).Ids, tok.Encode(text, 9, TruncationDirection.Right).Ids);
        Assert.Equal(tok.Encode(text).Ids, tok.Encode(text, 0, TruncationDirection.Left).Ids);
        var last = tok.Encode(text, 6, TruncationDirection.Left);
        // [CLS], the last four tokens of the text's last ten words encoded alone (a short text: no truncation), [SEP].
        var words = tok.Encode(string.Join(' ', Enumerable.Range(3990, 10).Select(i => $"ord{i}")), addSpecialTokens: false);
        Assert.Equal(words.Ids[^4..], last.Ids[1..^1]);
    }

    /// <summary>A space between two ASCII letters put in every 40 characters or so (a space cut, <see cref="SuffixCut.IsCut"/>).</summary>
    private static string Spaced(string text)
    {
        var sb = new System.Text.StringBuilder(text.Length + text.Length / 10);
        for (int i = 0; i < text.Length; i += 40)
            sb.Append(text, i, Math.Min(40, text.Length - i)).Append("k m");
        return sb.ToString();
    }

    internal static void Same(Encoding want, Encoding got, string where, bool overflowing)
    {
        Assert.True(want.Ids.SequenceEqual(got.Ids), $"{where}: ids [{string.Join(",", want.Ids)}] vs [{string.Join(",", got.Ids)}]");
        Assert.True(want.Offsets.SequenceEqual(got.Offsets), $"{where}: offsets [{string.Join(",", want.Offsets)}] vs [{string.Join(",", got.Offsets)}]");
        Assert.True(want.Tokens.SequenceEqual(got.Tokens), $"{where}: tokens differ");
        Assert.True(want.SpecialTokensMask.SequenceEqual(got.SpecialTokensMask), $"{where}: special masks differ");
        Assert.True(want.Truncated == got.Truncated, $"{where}: Truncated {want.Truncated} vs {got.Truncated}");
        Assert.True(want.Overflowing.Count > 0 == got.Overflowing.Count > 0, $"{where}: overflowing {want.Overflowing.Count} vs {got.Overflowing.Count}");
        if (!overflowing) return;
        Assert.True(want.Overflowing.Count == got.Overflowing.Count, $"{where}: {want.Overflowing.Count} vs {got.Overflowing.Count} overflowing parts");
        for (int i = 0; i < want.Overflowing.Count; i++) Same(want.Overflowing[i], got.Overflowing[i], $"{where}, overflowing {i}", false);
    }
}
