using System.Text;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// <see cref="Tokenizer.TokenBytes()"/>, the table of the bytes each token adds to decoded text (what JSON mode checks): for
/// byte-level BPE and SentencePiece-style tokenizers (Metaspace, Replace + ByteFallback + Strip), the bytes of any run
/// of tokens, joined, are the UTF-8 of what <see cref="Tokenizer.Decode"/> gives for the run after a first token;
/// a byte-level token that is part of a character is its raw byte; special tokens add nothing.
/// </summary>
public sealed class TokenBytesTableTests
{
    private static readonly UTF8Encoding Strict = new(false, true);

    [Theory]
    [InlineData("bpe-qwen2")]
    [InlineData("bpe-llama3")]
    [InlineData("bpe-llama2")]
    [InlineData("bpe-mistral")]
    [InlineData("unigram-bytefallback")]
    public void JoinedTokenBytesAreTheDecodedTextOfTheRun(string name)
    {
        var tokenizer = Tokenizer.FromFile(FixturePaths.TokenizerJson(name));
        var bytes = tokenizer.TokenBytes();
        Assert.Equal(tokenizer.IdBound, bytes.Length);
        var ids = Enumerable.Range(0, bytes.Length).Where(id => bytes[id].Length > 0).ToArray();
        Assert.True(ids.Length > bytes.Length / 2, $"{ids.Length} of {bytes.Length} tokens have bytes");
        var whole = ids.Where(id => IsUtf8(bytes[id])).ToArray(); // tokens that are whole characters
        var random = new Random(7);
        int compared = 0;
        for (int n = 0; n < 3000; n++)
        {
            var run = Enumerable.Range(0, random.Next(1, 6)).Select(_ => ids[random.Next(ids.Length)]).ToArray();
            byte[] joined = [.. run.SelectMany(id => bytes[id])];
            if (!IsUtf8(joined)) continue; // part of a character: byte-level tokens are compared below
            string text = Strict.GetString(joined);
            int first = whole[random.Next(whole.Length)]; // a leading token takes what decoders do to the first (a dropped space)
            string before = tokenizer.Decode([first]);
            string decoded = tokenizer.Decode([first, .. run]);
            Assert.True(before + text == decoded, $"{name} [{string.Join(",", run)}]: bytes give \"{text}\", decode \"{decoded}\" after \"{before}\"");
            compared++;
        }
        Assert.True(compared > 1000, $"{compared} runs compared");
    }

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            Strict.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    [Fact]
    public void AByteLevelTokenThatIsPartOfACharacterIsItsRawByte()
    {
        var tokenizer = Tokenizer.FromFile(FixturePaths.TokenizerJson("bpe-qwen2"));
        var bytes = tokenizer.TokenBytes();
        // GPT-2's byte alphabet writes byte 0xC3 as 'Ã' (U+00C3) and 0xA5 as '¥' (U+00A5): "å" is C3 A5
        int lead = tokenizer.TokenToId("Ã")!.Value, trail = tokenizer.TokenToId("¥")!.Value;
        Assert.Equal([0xC3], bytes[lead]);
        Assert.Equal([0xA5], bytes[trail]);
        Assert.Equal("å", tokenizer.Decode([lead, trail]));
    }

    [Fact]
    public void SpecialTokensAddNothing()
    {
        var tokenizer = Tokenizer.FromFile(FixturePaths.TokenizerJson("bpe-llama3"));
        var bytes = tokenizer.TokenBytes();
        int special = 0;
        for (int id = 0; id < bytes.Length; id++)
        {
            if (tokenizer.IdToToken(id) is not { } token || tokenizer.Decode([id]).Length > 0) continue;
            Assert.True(bytes[id].Length == 0, $"{token} ({id}) decodes to nothing but has bytes");
            special++;
        }
        Assert.True(special > 0);
    }
}
