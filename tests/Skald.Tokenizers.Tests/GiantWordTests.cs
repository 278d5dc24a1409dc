using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// WordPiece's giant words (<see cref="GiantWords"/>): a text that is one word far longer than
/// max_input_chars_per_word, or whose cut lands inside such a word, keeps the whole text's truncation from either side
/// (ids, offsets, Truncated) on every WordPiece fixture and each with the appended normalizers, and where the pipeline
/// keeps ASCII words whole (<see cref="CutTable.InertWords"/>) it is read only around the kept tokens and the word's
/// ends, not through the word.
/// </summary>
[RunsLong(43)] // giant words
public sealed class GiantWordTests
{
    private const int Giant = 20_000;

    [Fact]
    public void GiantWordsKeepTheWholeTextsTruncationReadingOnlyTheirEnds()
    {
        var rnd = new Random(11);
        string Word(int n) => new(Enumerable.Range(0, n).Select(_ => "abcxyz0129QZ"[rnd.Next(12)]).ToArray());
        string Words(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Word(rnd.Next(1, 7))));
        var texts = new (string Kind, string Text)[]
        {
            ("one giant word", Word(Giant)),
            ("a giant word then words", Word(Giant) + " " + Words(200)),
            ("words then a giant word", Words(200) + " " + Word(Giant)),
            ("a giant word between words", Words(30) + " " + Word(Giant) + ", " + Words(30)),
            ("giant words between punctuation", string.Join(".", Enumerable.Range(0, 6).Select(_ => Word(Giant / 6)))),
        };
        int inert = 0;
        foreach (var name in AdversarialTexts.Fixtures().Where(n => n.StartsWith("wordpiece", StringComparison.Ordinal)))
        {
            foreach (var (variant, tok) in RandomCutDifferentialTests.Variants(File.ReadAllText(FixturePaths.TokenizerJson(name))))
            {
                bool cut = tok.Cuts.InertWords;
                if (cut) inert++;
                foreach (var (kind, text) in texts) Check(tok, $"{name} + {variant}, {kind}", text, cut);
            }
        }
        // The BERT fixtures as they are, lower-cased, NFKC, stripped, prepended; the CTC and NFC ones likewise.
        Assert.True(inert >= 12, $"only {inert} WordPiece pipelines keep ASCII words whole");
    }

    /// <summary>
    /// Giant words of Latin, Greek and Cyrillic letters (a run of "ø", Cyrillic without spaces, æøå mixed with ASCII
    /// letters and digits): the whole text's truncation from either side on every WordPiece pipeline, and where the
    /// pipeline keeps those letters in words (<see cref="CutTable.WordChars"/>) only the word's ends are read.
    /// </summary>
    [Fact]
    public void GiantNonAsciiWordsKeepTheWholeTextsTruncationReadingOnlyTheirEnds()
    {
        var rnd = new Random(12);
        string Word(string alphabet, int n) => new(Enumerable.Range(0, n).Select(_ => alphabet[rnd.Next(alphabet.Length)]).ToArray());
        string Words(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => Word("abcæøåжλ", rnd.Next(1, 7))));
        const string Nordic = "øæåØÆÅéüÿ", Cyrillic = "абвгдежзийклмнопрЖЩЯёЁ", Mixed = "øæåabc019Жλώ";
        var texts = new (string Kind, string Alphabet, string Text)[]
        {
            ("one word of ø", "ø", new string('ø', Giant)),
            ("one Cyrillic word", Cyrillic, Word(Cyrillic, Giant)),
            ("one Greek word", "αβγδεζηθλμπσςωΩΣά", Word("αβγδεζηθλμπσςωΩΣά", Giant)),
            ("a Nordic word between words", Nordic, Words(30) + " " + Word(Nordic, Giant) + ", " + Words(30)),
            ("mixed words between punctuation", Mixed, string.Join(".", Enumerable.Range(0, 6).Select(_ => Word(Mixed, Giant / 6)))),
            ("words then a giant word with marks after", Nordic, Words(200) + " " + Word(Nordic, Giant) + "\u0301\u0308 x"),
        };
        int letters = 0, pipeline = 0;
        foreach (var name in AdversarialTexts.Fixtures().Where(n => n.StartsWith("wordpiece", StringComparison.Ordinal)))
        {
            foreach (var (variant, tok) in RandomCutDifferentialTests.Variants(File.ReadAllText(FixturePaths.TokenizerJson(name))))
            {
                string word = tok.Cuts.WordChars ?? "";
                if (word.Contains('ø') && word.Contains('ж')) letters++;
                if (pipeline++ % 2 == 1) continue; // every other pipeline is encoded (the whole texts cost minutes on a loaded host)
                foreach (var (kind, alphabet, text) in texts) Check(tok, $"{name} + {variant}, {kind}", text, alphabet.All(word.Contains));
            }
        }
        Assert.True(letters >= 12, $"only {letters} WordPiece pipelines keep æøå and Cyrillic words whole");
    }

    /// <summary>
    /// <paramref name="text"/> truncated from either side to 1 and 128 tokens gives the whole text's truncation, and
    /// where <paramref name="bounded"/> is read in under a quarter of <see cref="Giant"/> characters.
    /// </summary>
    private static void Check(Tokenizer tok, string where, string text, bool bounded)
    {
        foreach (var direction in new[] { TruncationDirection.Right, TruncationDirection.Left })
        {
            foreach (int max in new[] { 1, 128 })
            {
                string at = $"{where}, {direction}, max_length {max}";
                var want = tok.Encode(text, new TruncationOptions(max, Direction: direction));
                long before = tok.LongTextChars;
                var got = tok.Encode(text, max, direction);
                long read = tok.LongTextChars - before;
                LongInputLeftCutTests.Same(want, got, at, false);
                Assert.True(!bounded || read < Giant / 4, $"{at}: read {read} of {text.Length} characters");
            }
        }
    }
}
