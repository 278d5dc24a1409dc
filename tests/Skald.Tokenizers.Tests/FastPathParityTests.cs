using System.Text.Json.Nodes;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The fused BERT/WordPiece fast path against the general pipeline (same tokenizer with the fast path off): ids,
/// tokens, offsets, type ids and masks must agree on every text, for every BertNormalizer setting. The general
/// pipeline itself is held to the HF oracle by the fixture and shared-text tests.
/// </summary>
public sealed class FastPathParityTests
{
    /// <summary>Texts covering ASCII, Scandinavian letters, accents, combining marks, CJK, controls, long words.</summary>
    public static readonly string[] Texts =
    [
        "", " ", "\t\n", "Hello, world!", "HELLO world... it's 3.14 (approx.) & 50% [ok]",
        "Blåbærsyltetøy og rømmegrøt på Ålesund.", "ÆØÅ æøå ÄÖ äö — store og små bokstaver.",
        "Jag förstår inte varför älgen står på vägen.", "Café naïve résumé façade coöperate Ångström",
        "e\u0301 a\u0308\u0301 o\u0327\u0301x", "\u0344\u0F73 \u0915\u093F \u0915\u0903", "İstanbul ΣΑΣ ΟΔΥΣΣΕΥΣ straße Ǆ ǅ",
        "我爱北京天安门 and 東京 in ＴＯＫＹＯ", "한국어 텍스트 \u3042\u3099", "مَرْحَبًا بِكُمْ", "ﬁnal ﬂow Ω K Å ½",
        "ctrl\u0000\u0007char\u200Bzw\u00A0nbsp\u2028line\u3000ideo", "\uFEFFbom \uFFFD repl \uFFFF non",
        "emoji 😀 here, and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 too", "lone \uD800 surrogate", "[CLS] special [SEP] tokens [MASK]x",
        new string('a', 99), new string('a', 100), new string('b', 101), new string('å', 150),
        string.Concat(Enumerable.Repeat("supercalifragilistic", 6)), "unaffable unbelievable xyzzyqwv",
        "tab\tsep\rcr\nnl  double  space ", "¿Qué? ¡Sí! «quote» „lower“ ‘single’ …",
    ];

    /// <summary>BertNormalizer settings: clean_text, handle_chinese_chars, strip_accents, lowercase.</summary>
    public static TheoryData<bool, bool, bool?, bool> Settings()
    {
        var d = new TheoryData<bool, bool, bool?, bool>();
        foreach (bool clean in new[] { true, false })
            foreach (bool chinese in new[] { true, false })
                foreach (bool? strip in new bool?[] { null, true, false })
                    foreach (bool lower in new[] { true, false })
                        d.Add(clean, chinese, strip, lower);
        return d;
    }

    private static (Tokenizer Fast, Tokenizer Slow) Load(Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("wordpiece-uncased")))!.AsObject();
        edit(root);
        string json = root.ToJsonString();
        var slow = Tokenizer.FromJson(json);
        slow.UseFastPath = false;
        return (Tokenizer.FromJson(json), slow);
    }

    private static IEnumerable<string> AllTexts()
    {
        foreach (var t in Texts) yield return t;
        foreach (var file in new[] { "edge-cases.txt", "corpus.txt" })
            foreach (var line in File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, file))) yield return line;
        string shared = Path.Combine(FixturePaths.RepoRoot, "..", "shared", "data", "text", "ud-nn.txt");
        if (File.Exists(shared))
            foreach (var line in File.ReadLines(shared).Take(1500)) yield return line;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void FastPathMatchesGeneralPipeline(bool clean, bool chinese, bool? strip, bool lower)
    {
        var (fast, slow) = Load(root =>
        {
            var n = root["normalizer"]!.AsObject();
            n["clean_text"] = clean;
            n["handle_chinese_chars"] = chinese;
            n["strip_accents"] = strip;
            n["lowercase"] = lower;
        });
        Assert.True(fast.HasFastPath);
        int taken = 0;
        foreach (var text in AllTexts())
        {
            if (fast.TakesFastPath(text)) taken++;
            EncodingAssert.Same(slow.Encode(text), fast.Encode(text), text);
            EncodingAssert.Same(slow.Encode(text, addSpecialTokens: false), fast.Encode(text, addSpecialTokens: false), text);
        }
        Assert.True(taken > 1000, $"only {taken} texts took the fast path");
    }

    [Fact]
    public void FastPathIsTakenOnlyWhereSafe()
    {
        var (fast, _) = Load(_ => { });
        Assert.True(fast.TakesFastPath("Blåbærsyltetøy og rømmegrøt på Ålesund."));
        Assert.True(fast.TakesFastPath("我爱北京 Café"));
        Assert.True(fast.TakesFastPath(""));
        Assert.False(fast.TakesFastPath("emoji 😀"), "surrogates take the general pipeline");
        Assert.False(fast.TakesFastPath("a [SEP] b"), "added tokens take the general pipeline");
        Assert.True(fast.TakesFastPath("a [SEP b"), "a bracket alone is no added token");
    }

    [Fact]
    public void PairsTruncationAndBatchesMatchGeneralPipeline()
    {
        var (fast, slow) = Load(_ => { });
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
    public void WithoutPostProcessorOrNormalizerMatchesGeneralPipeline()
    {
        var (fast, slow) = Load(root =>
        {
            root.Remove("post_processor");
            root["normalizer"] = null;
        });
        Assert.True(fast.HasFastPath);
        foreach (var text in AllTexts()) EncodingAssert.Same(slow.Encode(text), fast.Encode(text), text);
    }
}
