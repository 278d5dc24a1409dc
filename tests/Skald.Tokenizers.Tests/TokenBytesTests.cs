using System.Text;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// <see cref="Tokenizer.TokenBytes(int)"/>: the raw bytes of one token id, checked against the UTF-8 of the encoded text
/// (the bytes of a text's tokens, in order, are that text's bytes) and against bytes spelled out by hand, on fixture
/// tokenizers whose tokens split Norwegian/Danish letters and an emoji into pieces of their UTF-8.
/// </summary>
public sealed class TokenBytesTests
{
    private const string Text = "Blåbærsyltetøy på brødet 🙂 så godt";

    private static readonly UTF8Encoding Strict = new(false, true);

    private static Tokenizer Load(string name) => Tokenizer.FromFile(FixturePaths.TokenizerJson(name));

    private static byte[] Concat(Tokenizer tokenizer, IReadOnlyList<int> ids) => [.. ids.SelectMany(id => tokenizer.TokenBytes(id)!)];

    private static bool Whole(byte[] bytes)
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

    [Theory]
    [InlineData("bpe-gpt2", "")]
    [InlineData("bpe-llama3", "")]
    [InlineData("bpe-qwen2", "")]
    [InlineData("bpe-cl100k", "")]
    [InlineData("bpe-o200k", "")]
    [InlineData("bpe-llama2", " ")] // the normalizer prepends ▁
    [InlineData("bpe-mistral", " ")] // Metaspace prepends ▁ to the first word
    [InlineData("unigram-bytefallback", " ")]
    public void TokensAddUpToTheTextsBytesAndSomeHoldPartOfACharacter(string name, string prefix)
    {
        var tokenizer = Load(name);
        var ids = tokenizer.Encode(Text, addSpecialTokens: false).Ids;
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(prefix + Text), Concat(tokenizer, ids));
        // the case this is for: at least one token is part of a character (its text alone decodes to U+FFFD)
        var partial = ids.Where(id => !Whole(tokenizer.TokenBytes(id)!)).ToArray();
        Assert.NotEmpty(partial);
        foreach (int id in partial) Assert.Contains('\uFFFD', tokenizer.Decode([id], skipSpecialTokens: false));
    }

    [Fact]
    public void ByteLevelTokenOfTheFirstByteOfØ()
    {
        // GPT-2's table maps byte 0xC3 to 'Ã' (U+00C3, printable, kept as is) and 0xB8 to '¸' (U+00B8)
        var tokenizer = Load("bpe-gpt2");
        int? c3 = tokenizer.TokenToId("Ã");
        int? b8 = tokenizer.TokenToId("¸");
        Assert.NotNull(c3);
        Assert.NotNull(b8);
        Assert.Equal([0xC3], tokenizer.TokenBytes(c3!.Value));
        Assert.Equal([0xB8], tokenizer.TokenBytes(b8!.Value));
        // a space is byte 0x20 at 'Ġ' (U+0120): the 33rd byte that is not printable maps to 256 + 32
        Assert.Equal([0x20], tokenizer.TokenBytes(tokenizer.TokenToId("Ġ")!.Value));
    }

    [Fact]
    public void ByteFallbackTokenIsItsByteAndMetaspaceIsASpace()
    {
        var tokenizer = Load("bpe-llama2");
        Assert.Equal([0xF0], tokenizer.TokenBytes(tokenizer.TokenToId("<0xF0>")!.Value));
        Assert.Equal([0x9F], tokenizer.TokenBytes(tokenizer.TokenToId("<0x9F>")!.Value));
        var word = tokenizer.Encode("på", addSpecialTokens: false);
        Assert.StartsWith("▁", word.Tokens[0]);
        Assert.Equal((byte)' ', tokenizer.TokenBytes(word.Ids[0])![0]); // not stripped, as decoding a sequence's first token is
    }

    [Fact]
    public void WordPieceContinuationLosesItsPrefix()
    {
        var tokenizer = Load("wordpiece-cased");
        var e = tokenizer.Encode("Blåbærsyltetøy", addSpecialTokens: false);
        Assert.True(e.Tokens.Length > 1, "the word should be split into pieces");
        Assert.DoesNotContain("[UNK]", e.Tokens);
        Assert.All(e.Tokens.Skip(1), t => Assert.StartsWith("##", t));
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes("Blåbærsyltetøy"), Concat(tokenizer, e.Ids));
    }

    [Fact]
    public void AddedTokenIsItsContentAndAnUnknownIdHasNone()
    {
        var tokenizer = Load("bpe-qwen2");
        Assert.Equal("<|im_start|>"u8.ToArray(), tokenizer.TokenBytes(tokenizer.TokenToId("<|im_start|>")!.Value));
        Assert.Null(tokenizer.TokenBytes(tokenizer.VocabSize + 5));
        Assert.Null(tokenizer.TokenBytes(-1));
    }

    [Fact]
    public void AnEmptyPatternInTheDecoderReplacesNothing()
    {
        // a BPE end-of-word suffix of "" (a valid tokenizer.json value): the token's bytes are its text
        const string json = """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
             "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
             "decoder": {"type": "Sequence", "decoders": [{"type": "BPEDecoder", "suffix": ""}, {"type": "CTC", "pad_token": "", "word_delimiter_token": "", "cleanup": false}]},
             "model": {"type": "WordLevel", "vocab": {"blå": 0, "[UNK]": 1}, "unk_token": "[UNK]"}}
            """;
        var tokenizer = Tokenizer.FromJson(json);
        Assert.Equal("blå"u8.ToArray(), tokenizer.TokenBytes(0));
    }
}
