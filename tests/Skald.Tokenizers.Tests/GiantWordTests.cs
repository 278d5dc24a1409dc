using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// WordPiece's giant words (<see cref="GiantWords"/>): a text that is one word far longer than
/// max_input_chars_per_word, or whose cut lands inside such a word, keeps the whole text's truncation from either side
/// (ids, offsets, Truncated) on every WordPiece fixture and each with the appended normalizers, and where the pipeline
/// keeps ASCII words whole (<see cref="CutTable.InertWords"/>) it is read only around the kept tokens and the word's
/// ends, not through the word.
/// </summary>
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
                foreach (var (kind, text) in texts)
                {
                    foreach (var direction in new[] { TruncationDirection.Right, TruncationDirection.Left })
                    {
                        foreach (int max in new[] { 1, 128 })
                        {
                            string where = $"{name} + {variant}, {kind}, {direction}, max_length {max}";
                            var want = tok.Encode(text, new TruncationOptions(max, Direction: direction));
                            long before = tok.LongTextChars;
                            var got = tok.Encode(text, max, direction);
                            long read = tok.LongTextChars - before;
                            LongInputLeftCutTests.Same(want, got, where, false);
                            Assert.True(!cut || read < Giant / 4, $"{where}: read {read} of {text.Length} characters");
                        }
                    }
                }
            }
        }
        // The BERT fixtures as they are, lower-cased, NFKC, stripped, prepended; the CTC and NFC ones likewise.
        Assert.True(inert >= 12, $"only {inert} WordPiece pipelines keep ASCII words whole");
    }
}
