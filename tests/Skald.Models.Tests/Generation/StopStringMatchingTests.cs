using Encoding = System.Text.Encoding;
using Skald.Models.Architectures;
using Skald.Models.Generation;
using Skald.Tokenizers;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Stop strings looked for incrementally (<see cref="StopMatcher"/>: each new token's bytes against the text's tail)
/// cut where decoding the whole text every token cuts, and where the first prefix of the tokens whose decoded text holds
/// a stop string says: stop strings across token boundaries, several at once, in a batch whose rows have their own; and the matcher alone on split characters and on a
/// token longer than its window.
/// </summary>
public sealed class StopStringMatchingTests
{
    private static readonly int[] Prompt = [5, 9, 12, 3, 44, 17];

    private const int Max = 40;

    private static (IDecoder Decoder, Tokenizer Tokenizer) Load()
    {
        string folder = TestPaths.FixtureModel("decoder-qwen2");
        return ((IDecoder)ArchitectureRegistry.Load(folder), Tokenizer.FromFile(Path.Combine(folder, "tokenizer.json")));
    }

    // The independent expectation: the first k whose ids' text holds a stop string, and the text cut before the first one.
    private static (int[] Ids, string Text) Expected(Tokenizer tokenizer, int[] ids, IReadOnlyList<string> stops)
    {
        for (int k = 1; k <= ids.Length; k++)
        {
            string text = tokenizer.Decode(ids[..k]);
            int at = stops.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            if (at >= 0) return (ids[..k], text[..at]);
        }
        return (ids, tokenizer.Decode(ids));
    }

    // Stop strings taken from the free text: across each token boundary (the last character of one token's text and the
    // first of the next), the first non-ASCII character with its neighbours, and a character split between two tokens.
    private static List<string[]> StopSets(Tokenizer tokenizer, int[] ids, out bool split, out bool multiByte)
    {
        string text = tokenizer.Decode(ids);
        var sets = new List<string[]>();
        split = multiByte = false;
        for (int k = 3; k < ids.Length; k += 5)
        {
            string before = tokenizer.Decode(ids[..k]).TrimEnd('\uFFFD');
            if (before.Length < 1 || before.Length + 2 > text.Length || !text.StartsWith(before, StringComparison.Ordinal)) continue;
            sets.Add([text.Substring(before.Length - 1, 3)]);
        }
        int wide = text.IndexOf(text.FirstOrDefault(c => c > 0x7F && c != '\uFFFD'));
        if (wide > 0 && text[wide] > 0x7F)
        {
            multiByte = true;
            sets.Add([text.Substring(wide - 1, Math.Min(3, text.Length - wide + 1))]);
        }
        for (int k = 1; k < ids.Length; k++)
        {
            string part = tokenizer.Decode(ids[..k]);
            if (!part.EndsWith('\uFFFD')) continue; // a character whose bytes go on in the next token
            int at = part.Length - 1;
            if (at < 1 || at + 1 > text.Length) continue;
            split = true;
            sets.Add([text.Substring(at - 1, 2)]);
            break;
        }
        sets.Add([.. sets.Take(3).Select(s => s[0]).Reverse(), "never-in-this-text"]); // several at once
        return sets;
    }

    [Fact]
    public void IncrementalStopsCutWhereDecodingEveryTokenCuts()
    {
        var (decoder, tokenizer) = Load();
        Func<IReadOnlyList<int>, string> decode = ids => tokenizer.Decode(ids);
        var incremental = new Generator(decoder, decode, 0, [], tokenizer.TokenBytes);
        var everyToken = new Generator(decoder, decode, 0, []); // no token bytes: the text decoded every token
        var free = incremental.Generate([Prompt], new GenerationOptions { MaxNewTokens = Max })[0];
        // (multi-byte characters, and one split between two tokens, are taken when the text has them: the fixture's has
        // none, so the matcher's own test below splits them)
        var sets = StopSets(tokenizer, free.Ids, out _, out _);
        Assert.True(sets.Count >= 4, "stop strings across token boundaries");
        foreach (var stops in sets)
        {
            var options = new GenerationOptions { MaxNewTokens = Max, StopStrings = stops };
            var got = incremental.Generate([Prompt], options)[0];
            var want = everyToken.Generate([Prompt], options)[0];
            var (ids, text) = Expected(tokenizer, free.Ids, stops);
            string name = string.Join(" | ", stops.Select(s => Convert.ToHexString(Encoding.UTF8.GetBytes(s))));
            Assert.True(FinishReason.Stop == got.FinishReason, name);
            Assert.Equal(ids, got.Ids);
            Assert.Equal(text, got.Text);
            Assert.Equal(want.Ids, got.Ids);
            Assert.Equal(want.Text, got.Text);
        }
        // a batch whose rows have stop strings of their own (and one none)
        int[][] prompts = [Prompt, Prompt, [7, 7, 2, 30]];
        GenerationOptions[] rowOptions =
        [
            new() { MaxNewTokens = Max, StopStrings = sets[0] }, new() { MaxNewTokens = Max, StopStrings = sets[^1] },
            new() { MaxNewTokens = 12 },
        ];
        var batch = incremental.Generate(prompts, rowOptions);
        var reference = everyToken.Generate(prompts, rowOptions);
        for (int b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(reference[b].Ids, batch[b].Ids);
            Assert.Equal(reference[b].Text, batch[b].Text);
            Assert.Equal(reference[b].FinishReason, batch[b].FinishReason);
        }
    }

    [Fact]
    public void TheMatcherFindsAStopStringWhereItsLastByteArrives()
    {
        var matcher = new StopMatcher(["æø", "xyz"]);
        byte[] stop = Encoding.UTF8.GetBytes("æø"); // C3 A6 C3 B8: each character split between two pushes
        Assert.False(matcher.Push([(byte)'h', stop[0]]));
        Assert.False(matcher.Push([stop[1], stop[2]]));
        Assert.True(matcher.Push([stop[3], (byte)'!']));
        Assert.False(matcher.Push("x"u8));
        Assert.False(matcher.Push("y"u8));
        Assert.True(matcher.Push("z"u8));
        Assert.False(matcher.Push("zz"u8)); // found once, where it ends; not again after it
    }

    [Fact]
    public void ATokenLongerThanTheWindowIsSearchedAcrossItsPieces()
    {
        var matcher = new StopMatcher(["STOP"]);
        var token = new byte[1000];
        token.AsSpan().Fill((byte)'a');
        Assert.False(matcher.Push(token));
        "STOP"u8.CopyTo(token.AsSpan(254)); // across the first piece's end (the window holds 3 + 256 bytes)
        Assert.True(matcher.Push(token));
        token.AsSpan().Fill((byte)'a');
        token[^2] = (byte)'S';
        token[^1] = (byte)'T';
        Assert.False(matcher.Push(token));
        Assert.True(matcher.Push("OP"u8)); // the tail carries a stop string's start into the next token
    }
}
