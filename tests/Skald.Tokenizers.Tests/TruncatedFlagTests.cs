namespace Skald.Tokenizers.Tests;

/// <summary>
/// <see cref="Encoding.Truncated"/> says whether truncation left tokens out, for every fixture tokenizer (each family,
/// fast paths on and off, with and without special tokens, right and left, singles, pairs and the bounded prefix path):
/// the expected answer is the untruncated encoding's length compared with max_length, for every max_length around it.
/// </summary>
public sealed class TruncatedFlagTests
{
    private const string Sentence = "Det var en gång en liten katt som bodde i Malmö, och hon tyckte om fisk och mjölk. ";

    private static IEnumerable<string> FixtureNames() =>
        Directory.GetDirectories(FixturePaths.TokenizerFixtures)
            .Where(d => File.Exists(Path.Combine(d, "tokenizer.json")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)!;

    [Fact]
    public void TruncatedIsSetExactlyWhenTheTextHasMoreTokensThanMaxLength()
    {
        string text = Sentence + Sentence.ToUpperInvariant().Trim();
        foreach (var name in FixtureNames())
        {
            foreach (bool fast in new[] { true, false })
            {
                var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
                tok.UseFastPath = fast;
                foreach (bool specials in new[] { false, true })
                {
                    int whole = tok.Encode(text, specials).Length;
                    for (int max = 1; max <= whole + 1; max++)
                    {
                        string where = $"{name}, fast path {fast}, special tokens {specials}, {whole} tokens, max_length {max}";
                        var got = tok.Encode(text, specials, max);
                        Assert.True(got.Truncated == whole > max, $"{where}: Truncated is {got.Truncated}");
                        var left = tok.Encode(text, new TruncationOptions(max) { Direction = TruncationDirection.Left }, specials);
                        Assert.True(left.Truncated == whole > max, $"{where}, left: Truncated is {left.Truncated}");
                    }
                }
            }
        }
    }

    [Fact]
    public void ExactlyMaxLengthWithoutSpecialTokensLeavesNoOverflowingButIsTruncated()
    {
        // HF's early cut keeps whole words up to max_length: words ending exactly there leave no overflowing part
        // (unchanged), yet the text goes on. Found for every family when the model adds no special tokens.
        string text = Sentence + Sentence;
        foreach (var name in FixtureNames())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            var words = Sentence.Trim().Split(' ');
            int firstWords = tok.Encode(string.Join(' ', words.Take(3)), false).Length;
            var got = tok.Encode(text, false, firstWords);
            Assert.True(got.Length <= firstWords, $"{name}: kept {got.Length} of {firstWords}");
            Assert.True(got.Truncated, $"{name}: a text of {tok.Encode(text, false).Length} tokens cut at {firstWords} is not marked truncated");
        }
    }

    [Fact]
    public void PairsAndBatchesCarryTheFlag()
    {
        foreach (var name in FixtureNames())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            string a = "kort fråga om katter", b = Sentence.Trim();
            foreach (bool specials in new[] { false, true })
            {
                int whole = tok.EncodePair(a, b, specials).Length;
                for (int max = Math.Max(1, whole - 8); max <= whole + 1; max++)
                {
                    string where = $"{name}, special tokens {specials}, {whole} tokens, max_length {max}";
                    Assert.True(tok.EncodePair(a, b, specials, max).Truncated == whole > max, $"{where}: pair");
                    Assert.True(tok.EncodePairBatch([(a, b)], max, specials)[0].Truncated == whole > max, $"{where}: pair batch");
                    Assert.True(tok.EncodeBatch([b], specials, max)[0].Truncated == tok.Encode(b, specials).Length > max, $"{where}: batch");
                }
                Assert.False(tok.Encode(b, specials).Truncated, $"{name}: no max_length, nothing truncated");
            }
        }
    }

    [Fact]
    public void TheBoundedPrefixPathSetsTheFlag()
    {
        string text = string.Concat(Enumerable.Repeat(Sentence, 40)).Trim();
        foreach (var name in FixtureNames())
        {
            var tok = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
            foreach (bool specials in new[] { false, true })
            {
                var whole = tok.Encode(text, specials);
                foreach (int max in Enumerable.Range(1, 40))
                {
                    long before = tok.LongTextChars;
                    var got = tok.Encode(text, specials, max);
                    string where = $"{name}, special tokens {specials}, max_length {max}";
                    Assert.True(tok.LongTextChars > before, $"{where}: the prefix path was not taken");
                    Assert.True(got.Truncated, $"{where}: {whole.Length} tokens, not marked truncated");
                    Assert.True(got.Ids.SequenceEqual(tok.Encode(text, new TruncationOptions(max), specials).Ids), $"{where}: ids differ from full truncation");
                }
            }
        }
    }
}
