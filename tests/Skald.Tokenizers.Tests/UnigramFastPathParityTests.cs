using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The fused Unigram fast path (Precompiled → Metaspace → Unigram) against the general pipeline (same tokenizer with
/// the fast path off): ids, tokens, offsets and masks on the committed fixtures' texts, tricky strings and every line
/// of the shared UD texts, with truncation, pairs and batches. The general pipeline itself is held to the HF oracle
/// by the fixture and shared-text tests.
/// </summary>
public sealed class UnigramFastPathParityTests(ITestOutputHelper output)
{
    private static readonly string[] Tricky =
    [
        "", " ", "   ", "\t\n", "a  b   c    d", "  leading", "trailing  ", " \u00A0 \u3000 x", "▁already▁meta ▁ space",
        "unknown ☃ chars ꙮ 丂 ᚠᛇ", "surrogates 😀😀 𝔘𝔫𝔦 🇳🇴 lone \uD800 and \uDC00", "ﬁnancial ＡＢＣ ｶﾀｶﾅ ① ™ ½ Ⅻ",
        "e\u0301 combining a\u0308 n\u0303", "\r\n crlf \r x", "한국어 텍스트", "zero\u200Bwidth\u200Djoiner\uFEFF", "ÆØÅ æøå «sitat» — ‘x’ …",
        "control \u0001\u0002\u007F\u0085 chars", new string('x', 400), string.Concat(Enumerable.Repeat("ab ", 200)), "x", "▁",
        "<mask> added <s> tokens </s>", "dots...and---dashes", "123 4567 ١٢٣",
    ];

    private static (Tokenizer Fast, Tokenizer Slow) Load(string path)
    {
        string json = File.ReadAllText(path);
        var slow = Tokenizer.FromJson(json);
        slow.UseFastPath = false;
        return (Tokenizer.FromJson(json), slow);
    }

    /// <summary>The committed tokenizers with the pipeline the fast path covers.</summary>
    public static TheoryData<string> Fixtures() => new()
    {
        FixturePaths.TokenizerJson("unigram"),
        Path.Combine(FixturePaths.RepoRoot, "fixtures", "models", "xlmr-cls-f16", "tokenizer.json"),
    };

    private static IEnumerable<string> CommittedTexts()
    {
        foreach (var file in new[] { "edge-cases.txt", "corpus.txt" })
            foreach (var line in File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, file))) yield return line;
        foreach (var t in FastPathParityTests.Texts) yield return t;
        foreach (var t in Tricky) yield return t;
    }

    private static void AssertSame(Tokenizer fast, Tokenizer slow, string text)
    {
        EncodingAssert.Same(slow.Encode(text), fast.Encode(text), text);
        EncodingAssert.Same(slow.Encode(text, addSpecialTokens: false), fast.Encode(text, addSpecialTokens: false), text);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FastPathMatchesGeneralPipelineOnCommittedTexts(string path)
    {
        var (fast, slow) = Load(path);
        Assert.True(fast.HasFastPath);
        int taken = 0;
        foreach (var text in CommittedTexts())
        {
            if (fast.TakesFastPath(text)) taken++;
            AssertSame(fast, slow, text);
        }
        Assert.True(taken > 20, $"only {taken} texts took the fast path");
        Assert.True(fast.TakesFastPath("") && fast.TakesFastPath("a  b") && fast.TakesFastPath("ﬁ ÆØÅ ☃ ꙮ"));
        Assert.False(fast.TakesFastPath("😀"), "a surrogate pair takes the general pipeline");
        Assert.False(fast.TakesFastPath("e\u0301"), "a combining mark takes the general pipeline");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TruncationPairsAndBatchesMatchGeneralPipeline(string path)
    {
        var (fast, slow) = Load(path);
        var texts = CommittedTexts().ToArray();
        var want = texts.Select(t => slow.Encode(t)).ToArray();
        var got = fast.EncodeBatch(texts);
        for (int i = 0; i < texts.Length; i++) EncodingAssert.Same(want[i], got[i], texts[i]);
        for (int i = 0; i + 1 < texts.Length; i += 3)
        {
            EncodingAssert.Same(slow.EncodePair(texts[i], texts[i + 1]), fast.EncodePair(texts[i], texts[i + 1]), texts[i]);
            foreach (int max in new[] { 1, 3, 8, 17 })
                EncodingAssert.Same(slow.Encode(texts[i], maxLength: max), fast.Encode(texts[i], maxLength: max), texts[i]);
        }
    }

    [SharedTextFact]
    public void FastPathMatchesGeneralPipelineOnSharedText()
    {
        var (fast, slow) = Load(FixturePaths.TokenizerJson("unigram"));
        int lines = 0, taken = 0;
        foreach (var file in Directory.EnumerateFiles(SharedTextFactAttribute.Folder, "ud-*.txt").Order())
        {
            foreach (var line in File.ReadLines(file))
            {
                lines++;
                if (fast.TakesFastPath(line)) taken++;
                EncodingAssert.Same(slow.Encode(line), fast.Encode(line), line);
            }
        }
        output.WriteLine($"{taken} of {lines} shared-text lines took the fast path, all equal to the general pipeline");
        Assert.True(taken > lines * 9 / 10, $"only {taken} of {lines} lines took the fast path");
    }

    [Fact]
    public void FastPathIsTakenOnlyWhereThePipelineFits()
    {
        Assert.False(Load(FixturePaths.TokenizerJson("unigram-bytefallback")).Fast.HasFastPath, "Nmt/NFKC with byte fallback takes the general pipeline");
    }
}
