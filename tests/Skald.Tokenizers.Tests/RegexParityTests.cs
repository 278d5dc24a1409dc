using System.Text;
using System.Text.Json;
using Skald.Tokenizers.Core;
using Skald.Tokenizers.Serialization;
using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// The split regexes of GPT-2 / Llama 3 / Qwen 2 / cl100k (possessive) / o200k and some Oniguruma
/// syntax run through .NET must split exactly like the oracle (Oniguruma inside HF tokenizers): random
/// strings drawn from letters, digits, apostrophes (with 'ſ' and the Kelvin sign for case folding),
/// astral letters and digits, emoji, CR/LF and every kind of whitespace are split by both.
/// </summary>
public sealed class RegexParityTests(ITestOutputHelper output)
{
    private static readonly string[] Pool =
    [
        "a", "Z", "é", "ß", "ſ", "K", "K", "İ", "ı", "ǅ", "'s", "'t", "'re", "'VE", "'M", "'ll", "'D", "'", "\"", "0", "9", "١", "½",
        "Ⅻ", "𝟘", "𝐀", "𠀀", "😀", "👍🏽", "\u200d", "\r", "\n", "\r\n", "\t", "\u000b", "\u00a0", "\u3000", "\u2028", "\u0085",
        ",", ".", "!", "?", "/", "-", "_", "#", "中", "日", "한", "\u0301", " ", " ", " ", "  ", "ab", "Word", "123", "4567",
    ];

    private static readonly (string Name, string Json)[] PreTokenizers =
    [
        ("gpt2-bytelevel", """{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"""),
        ("llama3", Split(PatternsForTests.Llama3)),
        ("qwen2", Split(PatternsForTests.Qwen2)),
        ("cl100k", Split(PatternsForTests.Cl100k)),
        ("o200k", Split(PatternsForTests.O200k)),
        ("anchors", Split(@"\s+$|^\w+|\h{2,}|[[:alpha:]]+|(?i:kk)")),
        ("invert-contiguous", """{"type":"Split","pattern":{"Regex":"\\p{N}+|'"},"behavior":"Contiguous","invert":true}"""),
    ];

    private static string Split(string pattern) =>
        $$"""{"type":"Split","pattern":{"Regex":{{JsonSerializer.Serialize(pattern)}}},"behavior":"Isolated","invert":false}""";

    [Fact]
    public async Task SplitsLikeOniguruma()
    {
        var rng = new Random(12345);
        var texts = new List<string>();
        for (int i = 0; i < 1500; i++)
        {
            var sb = new StringBuilder();
            int n = rng.Next(0, 14);
            for (int k = 0; k < n; k++) sb.Append(Pool[rng.Next(Pool.Length)]);
            texts.Add(sb.ToString());
        }
        var expected = await RunOracle(texts);
        if (expected is null) return;
        int compared = 0;
        var failures = new List<string>();
        for (int p = 0; p < PreTokenizers.Length; p++)
        {
            using var doc = JsonDocument.Parse(PreTokenizers[p].Json);
            var pre = ComponentFactory.PreTokenizer(new JsonReader("test"), doc.RootElement, "pre_tokenizer")!;
            for (int t = 0; t < texts.Count; t++)
            {
                var pts = new PreTokenizedString(texts[t]);
                pre.PreTokenize(pts);
                var got = pts.Splits.Select(s => s.Normalized.ToString()).ToArray();
                compared++;
                if (!got.SequenceEqual(expected[p][t]))
                    failures.Add($"{PreTokenizers[p].Name} {JsonSerializer.Serialize(texts[t])}:\n  expected {JsonSerializer.Serialize(expected[p][t])}\n  actual   {JsonSerializer.Serialize(got)}");
            }
        }
        output.WriteLine($"compared {compared} splits ({texts.Count} random texts x {PreTokenizers.Length} pre-tokenizers), {failures.Count} differ");
        foreach (var f in failures.Take(10)) output.WriteLine(f);
        Assert.Empty(failures);
    }

    [Theory]
    [InlineData(@"a++b", "(?>a+)b")]
    [InlineData(@"[^\s]*+x?+", @"(?>[^\s]*)(?>x?)")]
    [InlineData(@"\p{N}{1,3}+", @"(?:\p{N}{1,3})+")]
    [InlineData(@"(ab)++", "(?>(ab)+)")]
    [InlineData(@"\h+", "[0-9A-Fa-f]+")]
    public void TranslatesOnigurumaSyntax(string onig, string dotnet) => Assert.Equal(dotnet, OnigRegex.Translate(onig));

    private async Task<List<string[]>[]?> RunOracle(List<string> texts)
    {
        string fixtures = FixturePaths.TokenizerFixtures;
        if (!Directory.Exists(Path.Combine(fixtures, "node_modules", "tokenizers")))
        {
            output.WriteLine("NOT RUN: the oracle is not installed (run `npm ci` in fixtures/tokenizers)");
            return null;
        }
        string input = JsonSerializer.Serialize(new { pretokenizers = PreTokenizers.Select(p => JsonDocument.Parse(p.Json).RootElement).ToArray(), texts });
        if (await OracleNode.RunAsync(["oracle_split.mjs"], output, input) is not (int code, string stdout, string stderr)) return null;
        Assert.True(code == 0, $"oracle failed: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.GetProperty("pieces").EnumerateArray()
            .Select(perPre => perPre.EnumerateArray().Select(ws => ws.EnumerateArray().Select(w => w.GetString()!).ToArray()).ToList())
            .ToArray();
    }
}

/// <summary>The real split patterns (as in the models' tokenizer.json files).</summary>
internal static class PatternsForTests
{
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Cl100k = @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s";
    public const string O200k = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
}
