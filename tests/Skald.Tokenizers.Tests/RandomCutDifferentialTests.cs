using System.Text;
using System.Text.Json.Nodes;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// A randomized differential check of bounded truncation on both sides: short random texts (a few hundred characters
/// past the first prefix or suffix) mixing words with every kind of whitespace near the cuts (CRLF, LF, lone CR, tab
/// runs, U+00A0, U+2028, U+3000), characters whose normalization changes length (ﬁ, İ, e + U+0301), surrogate pairs,
/// the space markers Ġ and ▁, and the fixture's own added tokens written in the text, on every fixture tokenizer and on
/// each with a normalizer appended (a Replace writing a space, an ideographic space or punctuation for a letter,
/// Lowercase, NFKC, Strip, a Prepend that joins the first word; after the fixture's own and, where it has one, before it),
/// with punctuation and ideographs between words too (a suffix may start there). The bounded encoding must equal
/// the whole text's truncation: ids, offsets, Truncated; pairs likewise under each strategy from both sides. Fixed
/// seeds; ten texts per tokenizer keep it to seconds.
/// </summary>
public sealed class RandomCutDifferentialTests
{
    private static readonly string[] Separators = [" ", " ", " ", " ", "\t", "\n", "\r\n", "\r", "\t\t", "  ", "\u00A0", "\u2028", "\u3000", " \n", "\n\n", ".", ",", "!?", "\u4E00", "\u3002", "-"];

    private static readonly string[] Oddities = ["\uFB01", "\u0130", "e\u0301", "\U0001F600", "\u0120", "\u2581", "\u00E9", "Q", "x.", "'s", "\u4E00\u4E8C"];

    /// <summary>Normalizers appended to each fixture's own (or standing alone where it has none).</summary>
    private static readonly (string Name, string Json)[] Appended =
    [
        ("q to space", """{"type":"Replace","pattern":{"String":"q"},"content":" "}"""),
        ("z to ideographic space", """{"type":"Replace","pattern":{"String":"z"},"content":"\u3000"}"""),
        ("z to period", """{"type":"Replace","pattern":{"String":"z"},"content":"."}"""),
        ("lowercase", """{"type":"Lowercase"}"""),
        ("nfkc", """{"type":"NFKC"}"""),
        ("strip", """{"type":"Strip","strip_left":true,"strip_right":true}"""),
        ("prepend ab", """{"type":"Prepend","prepend":"ab"}"""),
    ];

    [Fact]
    public void BoundedTruncationEqualsWholeTextTruncationOnRandomTexts()
    {
        var failures = new List<string>();
        int seed = 0;
        foreach (var name in AdversarialTexts.Fixtures())
        {
            string json = File.ReadAllText(FixturePaths.TokenizerJson(name));
            var added = (JsonNode.Parse(json)!["added_tokens"]?.AsArray() ?? []).Select(t => (string?)t!["content"] ?? "").Where(c => c.Length > 0).ToArray();
            foreach (var (variant, tok) in Variants(json))
            {
                var rnd = new Random(1000 + seed++);
                for (int n = 0; n < 10 && failures.Count < 20; n++)
                {
                    int max = rnd.Next(4) switch { 0 => 1, 1 => rnd.Next(2, 6), 2 => rnd.Next(6, 20), _ => 24 };
                    string text = Text(rnd, max * 8 + 64 + rnd.Next(40, 400), added);
                    foreach (var direction in new[] { TruncationDirection.Left, TruncationDirection.Right })
                    {
                        var want = tok.Encode(text, new TruncationOptions(max, Direction: direction));
                        var got = tok.Encode(text, max, direction);
                        // Left truncation of pieces keeps HF's overflowing parts too (the suffix holds all of them).
                        bool overflowing = direction == TruncationDirection.Left && tok.PrefixMode == PrefixMode.Pieces;
                        if (!Same(want, got) || overflowing && (want.Overflowing.Count != got.Overflowing.Count || !want.Overflowing.Zip(got.Overflowing).All(p => Same(p.First, p.Second))))
                            failures.Add($"{name} + {variant}, {direction}, max_length {max}: [{string.Join(",", want.Ids)}] {string.Join(",", want.Offsets)} {want.Truncated} vs [{string.Join(",", got.Ids)}] {string.Join(",", got.Offsets)} {got.Truncated}; text {Escape(text)}");
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Pairs (a long text with a short one, either way round, or two long ones) truncated by each of HF's strategies from
    /// either side: the bounded <see cref="Tokenizer.EncodePair(string, string, int, TruncationStrategy, TruncationDirection, bool)"/>
    /// gives the full options' ids, type ids, offsets and Truncated, or fails as they do (only_first with a second text
    /// that alone fills max_length).
    /// </summary>
    [Fact]
    public void BoundedPairTruncationEqualsWholeTextsOnRandomPairs()
    {
        var failures = new List<string>();
        int seed = 0;
        foreach (var name in AdversarialTexts.Fixtures())
        {
            string json = File.ReadAllText(FixturePaths.TokenizerJson(name));
            var added = (JsonNode.Parse(json)!["added_tokens"]?.AsArray() ?? []).Select(t => (string?)t!["content"] ?? "").Where(c => c.Length > 0).ToArray();
            foreach (var (variant, tok) in Variants(json).Where((_, i) => i % 3 == 0))
            {
                var rnd = new Random(5000 + seed++);
                for (int n = 0; n < 3 && failures.Count < 20; n++)
                {
                    int max = rnd.Next(3) switch { 0 => rnd.Next(4, 9), 1 => rnd.Next(9, 24), _ => 40 };
                    string Long() => Text(rnd, max * 8 + 64 + rnd.Next(40, 400), added);
                    string Short() => Text(rnd, rnd.Next(3, 16), added);
                    var (a, b) = (n % 3) switch { 0 => (Long(), Short()), 1 => (Short(), Long()), _ => (Long(), Long()) };
                    foreach (var strategy in Enum.GetValues<TruncationStrategy>())
                    {
                        foreach (var direction in new[] { TruncationDirection.Left, TruncationDirection.Right })
                        {
                            string want = Outcome(() => tok.EncodePair(a, b, new TruncationOptions(max, strategy, Direction: direction)));
                            string got = Outcome(() => tok.EncodePair(a, b, max, strategy, direction));
                            if (want != got)
                                failures.Add($"{name} + {variant}, {strategy}, {direction}, max_length {max}: {want} vs {got}; texts {Escape(a)} | {Escape(b)}");
                        }
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>An encoding's ids, type ids, offsets and Truncated flag as text, or that it failed.</summary>
    private static string Outcome(Func<Encoding> encode)
    {
        try
        {
            var e = encode();
            return $"[{string.Join(",", e.Ids)}] [{string.Join(",", e.TypeIds)}] {string.Join(",", e.Offsets)} {e.Truncated}";
        }
        catch (TokenizerException)
        {
            return "too short to truncate";
        }
    }

    internal static IEnumerable<(string Variant, Tokenizer Tokenizer)> Variants(string json)
    {
        yield return ("as it is", Tokenizer.FromJson(json));
        foreach (var (name, normalizer) in Appended)
        {
            var root = JsonNode.Parse(json)!.AsObject();
            var own = root["normalizer"];
            var extra = JsonNode.Parse(normalizer)!;
            root["normalizer"] = own is null ? extra : new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(own.DeepClone(), extra) };
            yield return (name, Tokenizer.FromJson(root.ToJsonString()));
            if (own is null) continue;
            root["normalizer"] = new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(extra.DeepClone(), own.DeepClone()) };
            yield return (name + " first", Tokenizer.FromJson(root.ToJsonString()));
        }
    }

    /// <summary>
    /// Words of a small alphabet (q and z, which the appended Replace normalizers rewrite, among them) between random
    /// separators, some of them long runs of one letter, so the early cut of a suffix or prefix can reach its first or
    /// last piece.
    /// </summary>
    private static string Text(Random rnd, int length, string[] added)
    {
        const string letters = "abqqqzzo0129";
        var sb = new StringBuilder(length + 32);
        while (sb.Length < length)
        {
            int len = rnd.Next(1, 7);
            for (int i = 0; i < len; i++) sb.Append(letters[rnd.Next(letters.Length)]);
            int roll = rnd.Next(10);
            if (roll == 0) sb.Append(Oddities[rnd.Next(Oddities.Length)]);
            else if (roll == 1 && added.Length > 0) sb.Append(added[rnd.Next(added.Length)]);
            else if (roll is 2 or 3) sb.Append(letters[rnd.Next(letters.Length)], rnd.Next(90, 240)); // [UNK] past 100 for WordPiece: few tokens over many characters
            sb.Append(Separators[rnd.Next(Separators.Length)]);
        }
        return sb.ToString();
    }

    private static bool Same(Encoding a, Encoding b) =>
        a.Ids.SequenceEqual(b.Ids) && a.Offsets.SequenceEqual(b.Offsets) && a.Truncated == b.Truncated;

    private static string Escape(string s) =>
        string.Concat(s.Select(c => c is >= ' ' and < '\u007F' ? c.ToString() : $"\\u{(int)c:X4}"));
}
