using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The hand-written Llama 3 split scanner against the regex it replaces (<see cref="OnigRegex"/>, itself held to HF
/// by the oracle tests): the same matches on real text, edge cases and random strings over the characters that
/// decide the pattern (contractions, case variants incl. U+017F, letters, digits of every kind, white space kinds,
/// CR/LF runs, punctuation, supplementary characters and lone surrogates).
/// </summary>
public sealed class Llama3SplitScannerTests
{
    private static readonly OnigRegex Regex = new(Llama3SplitScanner.Pattern);

    private static void AssertSame(string text)
    {
        var want = new List<(int, int)>();
        var got = new List<(int, int)>();
        Regex.Matches(text, want);
        Llama3SplitScanner.Matches(text, got);
        string Show(List<(int S, int E)> l) => string.Join(" | ", l.Select(m => text[m.S..m.E].Replace("\n", "\\n").Replace("\r", "\\r")));
        Assert.True(want.SequenceEqual(got), $"text \"{text}\": regex [{Show(want)}] vs scanner [{Show(got)}]");
    }

    [Fact]
    public void PatternIsLlama3s()
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(FixturePaths.TokenizerJson("bpe-llama3")))!;
        Assert.Equal(Llama3SplitScanner.Pattern, (string?)root["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"]);
    }

    [Fact]
    public void MatchesRegexOnRealAndEdgeTexts()
    {
        foreach (var t in FastPathParityTests.Texts) AssertSame(t);
        string[] edge =
        [
            "it's IT'S it'S 'll 'LL 'Ll 're 'rE 've 'd 'D 'm 'ſ 'x '", "''s 'sa 'tea", "123456789 12 1 ١٢٣٤ ⅷⅸ ²³¹ 12ab a12",
            "a  b   c\n\n d \r\n e\t\t\nf \u00A0 g\u3000\u2028h\u0085i", "   ", " ", "\n", "\r\n", " \n ", "x \n", "x  ", "end \t",
            "-abc .5 ,x !!!x ¿¿x \"quoted\" (x) [y]", " !!\n\n x", "😀abc 😀 😀😀 a😀b 𝔘𝔫𝔦 𝟙𝟚𝟛𝟜", "\uD800abc \uDC00 x\uD800", "\0\u0001a\u007F",
            "a\u0301b \u0301x \u0915\u093F", "ǅa ǈ ʰx 々x", "\u000B\u000Cx", "x\r\r\n\ny", "\n\nx", " \r x",
        ];
        foreach (var t in edge) AssertSame(t);
        foreach (var file in new[] { "edge-cases.txt", "corpus.txt" })
            foreach (var line in File.ReadLines(Path.Combine(FixturePaths.TokenizerFixtures, file))) AssertSame(line);
        foreach (var name in new[] { "ud-nn.txt", "ud-nb.txt", "ud-sv.txt", "ud-da.txt" })
        {
            string shared = Path.Combine(FixturePaths.RepoRoot, "..", "shared", "data", "text", name);
            if (!File.Exists(shared)) continue;
            var lines = File.ReadAllLines(shared);
            foreach (var line in lines) AssertSame(line);
            AssertSame(string.Join("\n", lines.Take(200)));
        }
    }

    [Fact]
    public void MatchesRegexOnRandomStrings()
    {
        string[] pool =
        [
            "'", "'", "s", "S", "ſ", "t", "T", "r", "R", "e", "E", "v", "V", "m", "M", "l", "L", "d", "D", "a", "å", "Ω", "ǅ",
            "ʰ", "々", "中", "1", "٣", "Ⅷ", "²", " ", " ", " ", "\t", "\n", "\r", "\u000B", "\u00A0", "\u3000", "\u2028",
            "\u0085", "\u200B", ".", ",", "-", "!", "\"", "\u0301", "\0", "😀", "𝔘", "𝟙", "\uD800", "\uDC00", "€", "_",
        ];
        var rng = new Random(1234);
        for (int n = 0; n < 20000; n++)
        {
            int len = rng.Next(1, 14);
            var sb = new System.Text.StringBuilder();
            for (int k = 0; k < len; k++) sb.Append(pool[rng.Next(pool.Length)]);
            AssertSame(sb.ToString());
        }
        // Every BMP code point between letters, after a space and after an apostrophe.
        for (int c = 1; c < 0x10000; c++)
        {
            string ch = ((char)c).ToString();
            AssertSame("a" + ch + "b " + ch + " '" + ch + "1" + ch + "\n" + ch + " ");
        }
    }
}
