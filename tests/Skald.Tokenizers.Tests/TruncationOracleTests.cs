using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// Bounded truncation against the real HF tokenizers (fixtures/tokenizers/oracle_truncate.mjs, node): random long
/// texts — ASCII and non-ASCII giant words, combining marks, emoji sequences, CJK, words and punctuation — truncated
/// from either side (<see cref="Tokenizer.Encode(string, int, TruncationDirection, bool)"/>) and random pairs under
/// longest_first, only_first and only_second (<see cref="Tokenizer.EncodePair(string, string, int, TruncationStrategy, TruncationDirection, bool)"/>),
/// stride 0, on the WordPiece, llama2-style single-piece SentencePiece, Unigram and GPT-style fixtures: the same ids,
/// offsets and type ids as HF, or a refusal where HF refuses.
/// </summary>
public sealed class TruncationOracleTests(ITestOutputHelper output)
{
    private static readonly string[] Names = ["wordpiece-uncased", "wordpiece-cased", "wordpiece-nfc", "bpe-llama2", "bpe-mistral", "unigram", "bpe-cl100k", "bpe-roberta"];

    private sealed record Case(string Name, string A, string? B, int Max, TruncationStrategy Strategy, TruncationDirection Direction);

    [Fact]
    public async Task BoundedTruncationMatchesHfOnRandomLongTextsAndPairs()
    {
        string fixtures = FixturePaths.TokenizerFixtures;
        if (!Directory.Exists(Path.Combine(fixtures, "node_modules", "tokenizers")))
        {
            output.WriteLine("NOT RUN: the oracle is not installed (run `npm ci` in fixtures/tokenizers)");
            return;
        }
        var cases = Cases(new Random(2026), 10).ToList();
        string dir = Directory.CreateTempSubdirectory("skald-truncation-oracle").FullName;
        try
        {
            string casesPath = Path.Combine(dir, "cases.jsonl"), outPath = Path.Combine(dir, "out.jsonl");
            await File.WriteAllLinesAsync(casesPath, cases.Select(c => JsonSerializer.Serialize(new
            {
                tokenizer = FixturePaths.TokenizerJson(c.Name), a = c.A, b = c.B, max = c.Max, strategy = c.Strategy.ToString(),
                direction = c.Direction == TruncationDirection.Left ? "left" : "right",
            })));
            if (await OracleNode.RunAsync(["oracle_truncate.mjs", casesPath, outPath], output) is not (int code, _, string stderr)) return;
            Assert.True(code == 0, $"the oracle failed: {stderr}");
            var expected = await File.ReadAllLinesAsync(outPath);
            Assert.Equal(cases.Count, expected.Length);
            var tokenizers = Names.ToDictionary(n => n, n => Tokenizer.FromFile(FixturePaths.TokenizerJson(n)));
            var mismatches = new List<string>();
            int refused = 0;
            for (int i = 0; i < cases.Count; i++)
            {
                var c = cases[i];
                var tok = tokenizers[c.Name];
                string where = $"case {i}: {c.Name}, {(c.B is null ? "single" : c.Strategy.ToString())}, {c.Direction}, max_length {c.Max}, lengths {c.A.Length}/{c.B?.Length}";
                using var doc = JsonDocument.Parse(expected[i]);
                Encoding? got = null;
                string? failure = null;
                try
                {
                    got = c.B is null ? tok.Encode(c.A, c.Max, c.Direction) : tok.EncodePair(c.A, c.B, c.Max, c.Strategy, c.Direction);
                }
                catch (TokenizerException e)
                {
                    failure = e.Message;
                }
                if (doc.RootElement.TryGetProperty("error", out var error))
                {
                    refused++;
                    if (failure is null) mismatches.Add($"{where}: HF refused ({error.GetString()}), Skald encoded {got!.Length} tokens");
                    continue;
                }
                if (failure is not null)
                {
                    mismatches.Add($"{where}: Skald refused ({failure}), HF encoded");
                    continue;
                }
                if (ExpectedBody.Parse(doc.RootElement).Diff(got!) is { } diff) mismatches.Add($"{where}: {diff}");
            }
            output.WriteLine($"compared {cases.Count} truncations with HF ({refused} refused by both or either), {mismatches.Count} mismatches");
            foreach (var m in mismatches.Take(10)) output.WriteLine(m);
            Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} differ from HF; first:\n{string.Join("\n", mismatches.Take(3))}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary><paramref name="perKind"/> single texts and as many pairs per fixture, long enough for the bounded paths.</summary>
    private static IEnumerable<Case> Cases(Random rnd, int perKind)
    {
        var strategies = Enum.GetValues<TruncationStrategy>();
        foreach (string name in Names)
        {
            // HF's single-piece SentencePiece BPE costs seconds and gigabytes on a few thousand characters: shorter texts
            // and max lengths there, still past the first prefix (8 characters a token + 64).
            int scale = name is "bpe-llama2" or "bpe-mistral" ? 4 : 1;
            for (int k = 0; k < perKind; k++)
            {
                var direction = rnd.Next(2) == 0 ? TruncationDirection.Right : TruncationDirection.Left;
                yield return new Case(name, Text(rnd, rnd.Next(300, 2500) / scale), null, rnd.Next(2, 30) / scale + 1, TruncationStrategy.LongestFirst, direction);
                int la = rnd.Next(3) == 0 ? rnd.Next(1, 40) : rnd.Next(300, 2000) / scale, lb = rnd.Next(3) == 0 ? rnd.Next(1, 40) : rnd.Next(300, 2000) / scale;
                yield return new Case(name, Text(rnd, la), Text(rnd, lb), rnd.Next(4, 40) / scale + 3, strategies[rnd.Next(3)], direction);
            }
        }
    }

    /// <summary>A random text of about <paramref name="length"/> characters, mostly of one adversarial kind.</summary>
    internal static string Text(Random rnd, int length)
    {
        var sb = new StringBuilder();
        int kind = rnd.Next(7);
        while (sb.Length < length)
        {
            int k = rnd.Next(4) == 0 ? rnd.Next(7) : kind;
            sb.Append(k switch
            {
                0 => Run(rnd, "abcxyz0129QZ", rnd.Next(90, 400)), // an ASCII word past max_input_chars_per_word
                1 => Run(rnd, rnd.Next(2) == 0 ? "øæåØÆÅ" : "абвгдежзийклмнопрЖЩЯ", rnd.Next(60, 400)), // a non-ASCII word
                2 => string.Concat(Enumerable.Range(0, rnd.Next(5, 80)).Select(_ => "aeo"[rnd.Next(3)] + Run(rnd, "\u0301\u0308\u0323\u030A", rnd.Next(1, 4)))),
                3 => string.Concat(Enumerable.Range(0, rnd.Next(3, 40)).Select(_ => ((string[])["👍🏽", "👨‍👩‍👧", "🇸🇪", "❤️", "🏳️‍🌈", "x"])[rnd.Next(6)])),
                4 => Run(rnd, "中文字词语日本。、", rnd.Next(10, 200)),
                5 => string.Join(' ', Enumerable.Range(0, rnd.Next(3, 30)).Select(_ => ((string[])["hej", "på", "deg", "blåbærsyltetøy", "Ålesund", "don't", "42", "x.y", "—", "«sa»", "ok!"])[rnd.Next(11)])),
                _ => Run(rnd, "ab1 .,-", rnd.Next(20, 200)),
            });
            sb.Append(((string[])["", " ", " ", ", ", "\n", ". "])[rnd.Next(6)]);
        }
        return sb.ToString();
    }

    private static string Run(Random rnd, string alphabet, int n)
    {
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(alphabet);
        var units = new List<string>();
        while (elements.MoveNext()) units.Add((string)elements.Current);
        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.Append(units[rnd.Next(units.Count)]);
        return sb.ToString();
    }
}
