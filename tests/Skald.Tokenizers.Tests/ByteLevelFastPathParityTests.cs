namespace Skald.Tokenizers.Tests;

/// <summary>
/// The fused byte-level BPE fast path against the general pipeline (same tokenizer with the fast path off) on the
/// GPT-2, cl100k, o200k and Llama 3 fixtures: ids, tokens, offsets, masks on every text, with truncation, pairs and
/// batches. The general pipeline itself is held to the HF oracle by the fixture and shared-text tests.
/// </summary>
public sealed class ByteLevelFastPathParityTests
{
    /// <summary>The byte-level fixtures whose pipeline the fast path covers.</summary>
    public static TheoryData<string> Fixtures() => new() { "bpe-gpt2", "bpe-cl100k", "bpe-o200k", "bpe-llama3" };

    private static readonly string[] Extra =
    [
        "it's we'RE they'll I'D you've 'm 'S", "123 4567 89012345 ١٢٣ ⅷ", "  \n\n  \r\n\t x  y   ", "a\u3000b\u00A0c\u2028d",
        "lone \uDC00 low and \uD800 high \uD800", new string('x', 300), string.Concat(Enumerable.Repeat("ab", 200)),
        "😀😀😀 🇳🇴 👍🏽", "added <|begin_of_text|> inside <|end_of_text|>", "ÆØÅ æøå: «sitat» — ‘x’ …", "   ", "!!!???...", "\r\r\n\n", "x\n", " y",
    ];

    private static (Tokenizer Fast, Tokenizer Slow) Load(string name)
    {
        string json = File.ReadAllText(FixturePaths.TokenizerJson(name));
        var slow = Tokenizer.FromJson(json);
        slow.UseFastPath = false;
        return (Tokenizer.FromJson(json), slow);
    }

    private static IEnumerable<string> AllTexts() => FastPathParityTests.Texts.Concat(Extra).Concat(SharedLines());

    private static IEnumerable<string> SharedLines()
    {
        foreach (var file in new[] { "edge-cases.txt", "corpus.txt" })
            foreach (var line in File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, file))) yield return line;
        foreach (var name in new[] { "ud-nn.txt", "ud-sv.txt", "ud-da.txt" })
        {
            string shared = Path.Combine(FixturePaths.RepoRoot, "..", "shared", "data", "text", name);
            if (File.Exists(shared))
                foreach (var line in File.ReadLines(shared).Take(1500)) yield return line;
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FastPathMatchesGeneralPipeline(string fixture)
    {
        var (fast, slow) = Load(fixture);
        Assert.True(fast.HasFastPath);
        int taken = 0;
        foreach (var text in AllTexts())
        {
            if (fast.TakesFastPath(text)) taken++;
            EncodingAssert.Same(slow.Encode(text), fast.Encode(text), text);
            EncodingAssert.Same(slow.Encode(text), fast.Encode(text), text); // second time from the word cache
            EncodingAssert.Same(slow.Encode(text, addSpecialTokens: false), fast.Encode(text, addSpecialTokens: false), text);
        }
        Assert.True(taken > 1000, $"only {taken} texts took the fast path");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TruncationPairsAndBatchesMatchGeneralPipeline(string fixture)
    {
        var (fast, slow) = Load(fixture);
        var texts = AllTexts().ToArray();
        var want = texts.Select(t => slow.Encode(t)).ToArray();
        var got = fast.EncodeBatch(texts);
        for (int i = 0; i < texts.Length; i++) EncodingAssert.Same(want[i], got[i], texts[i]);
        for (int i = 0; i + 1 < texts.Length; i += 7)
        {
            EncodingAssert.Same(slow.EncodePair(texts[i], texts[i + 1]), fast.EncodePair(texts[i], texts[i + 1]), texts[i]);
            foreach (int max in new[] { 3, 8, 17 })
                EncodingAssert.Same(slow.Encode(texts[i], maxLength: max), fast.Encode(texts[i], maxLength: max), texts[i]);
        }
    }

    [Fact]
    public void FastPathIsTakenOnlyWhereTheModelFits()
    {
        Assert.False(Load("bpe-roberta").Fast.HasFastPath, "add_prefix_space takes the general pipeline");
        Assert.False(Load("bpe-qwen2").Fast.HasFastPath, "a normalizer takes the general pipeline");
        Assert.False(Load("bpe-classic").Fast.HasFastPath, "prefix/suffix BPE takes the general pipeline");
    }
}
