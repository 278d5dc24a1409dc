using Skald.Models.Generation;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A row's incremental stop-string search (<see cref="StopMatcher"/> over token bytes) against decoding the whole text
/// every token and searching it, on random token sequences of the byte-level fixture tokenizer (special tokens, split and
/// invalid UTF-8 included) with random stop strings cut from their text (several, overlapping, one a prefix of another,
/// longer than any token): the same token stops the row, at the same cut. And the matcher alone against a search of
/// the whole byte string for an occurrence ending in each new token's bytes.
/// </summary>
public sealed class StopMatcherDifferentialTests
{
    private static readonly Tokenizer Tokens = Tokenizer.FromFile(Path.Combine(TestPaths.FixtureModel("decoder-qwen2"), "tokenizer.json"));

    // (step, cut) at which a row with `stops` fed `ids` stops (−1, −1: it does not).
    private static (int Step, int Cut) StopOf(int[] ids, string[] stops, IReadOnlyList<byte[]>? bytes)
    {
        var row = new DecodingRow([1], new GenerationOptions { MaxNewTokens = ids.Length, StopStrings = stops }, ids.Length, false, bytes);
        for (int k = 0; k < ids.Length; k++)
        {
            row.Generated.Add(ids[k]);
            int at = row.StopsAt(i => Tokens.Decode(i));
            if (at >= 0) return (k, at);
        }
        return (-1, -1);
    }

    [Fact]
    public void IncrementalStopsEqualDecodeAndSearchOnRandomTextsAndStops()
    {
        var bytes = Tokens.TokenBytes();
        var random = new Random(1234);
        int stopped = 0, runs = 0;
        for (int run = 0; run < 400; run++)
        {
            // mostly short ASCII-ish ids (the fixture's low ids), some of any id (special ones and lone UTF-8 bytes)
            var ids = new int[random.Next(1, 30)];
            for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(4) == 0 ? random.Next(bytes.Length) : random.Next(300);
            string text = Tokens.Decode(ids);
            if (text.Length == 0) continue;
            var stops = new string[random.Next(1, 4)];
            for (int s = 0; s < stops.Length; s++)
            {
                int from = random.Next(text.Length), length = 1 + random.Next(Math.Min(12, text.Length - from));
                stops[s] = random.Next(5) == 0 ? "zq" : text.Substring(from, length);
                if (s > 0 && random.Next(3) == 0 && stops[s - 1].Length > 1) stops[s] = stops[s - 1][..^1]; // a prefix of another
            }
            runs++;
            var want = StopOf(ids, stops, null);
            var got = StopOf(ids, stops, bytes);
            if (want.Step >= 0) stopped++;
            Assert.True(want == got, $"ids [{string.Join(",", ids)}], stops [{string.Join(" | ", stops.Select(s => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(s))))}]: {want} vs {got}");
        }
        Assert.True(stopped > runs / 2, $"{stopped} of {runs} stopped");
    }

    [Fact]
    public void AStopStringHoldingAReplacementCharacterStopsWhereTheDecodedTextHoldsIt()
    {
        // a lone continuation byte decodes to U+FFFD: a stop string holding it is found in the text, not in the bytes
        var bytes = Tokens.TokenBytes();
        int lone = Array.FindIndex(bytes, b => b.Length == 1 && b[0] == 0x80);
        int a = Array.FindIndex(bytes, b => b.Length == 1 && b[0] == (byte)'a');
        Assert.True(lone >= 0 && a >= 0);
        int[] ids = [a, a, lone, a];
        Assert.Equal("aa\uFFFDa", Tokens.Decode(ids));
        Assert.Equal((2, 1), StopOf(ids, ["a\uFFFD"], null));
        Assert.Equal((2, 1), StopOf(ids, ["a\uFFFD"], bytes));
    }

    [Fact]
    public void TheMatcherFindsEveryOccurrenceEndingInANewTokenOnRandomBytes()
    {
        var random = new Random(99);
        for (int run = 0; run < 300; run++)
        {
            var all = new List<byte>();
            var stops = new byte[random.Next(1, 4)][];
            for (int s = 0; s < stops.Length; s++)
            {
                stops[s] = new byte[random.Next(1, 600)]; // longer than the window's free 256 bytes too
                for (int i = 0; i < stops[s].Length; i++) stops[s][i] = (byte)('a' + random.Next(2));
            }
            var matcher = new StopMatcher([.. stops.Select(s => System.Text.Encoding.UTF8.GetString(s))]);
            for (int step = 0; step < 40; step++)
            {
                var token = new byte[random.Next(0, random.Next(4) == 0 ? 700 : 6)];
                for (int i = 0; i < token.Length; i++) token[i] = (byte)('a' + random.Next(2));
                int before = all.Count;
                all.AddRange(token);
                var whole = all.ToArray().AsSpan();
                bool want = false;
                foreach (var s in stops)
                    for (int end = Math.Max(before + 1, s.Length); end <= whole.Length && !want; end++)
                        want = whole[(end - s.Length)..end].SequenceEqual(s);
                Assert.Equal(want, matcher.Push(token));
            }
        }
    }
}
