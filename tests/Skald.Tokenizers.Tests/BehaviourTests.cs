namespace Skald.Tokenizers.Tests;

/// <summary>API behaviour: truncation, padding, normalization details, added tokens, metadata.</summary>
public sealed class BehaviourTests
{
    private static readonly Lazy<Tokenizer> Cased = new(() => Tokenizer.FromFile(FixturePaths.TokenizerJson("wordpiece-cased")));
    private static readonly Lazy<Tokenizer> Uncased = new(() => Tokenizer.FromFile(FixturePaths.TokenizerJson("wordpiece-uncased")));
    private static readonly Lazy<Tokenizer> Unigram = new(() => Tokenizer.FromFile(FixturePaths.TokenizerJson("unigram")));

    [Fact]
    public void Metadata()
    {
        Assert.Equal("WordPiece", Cased.Value.ModelKind);
        Assert.Equal("Unigram", Unigram.Value.ModelKind);
        Assert.Equal(0, Cased.Value.PadTokenId);
        Assert.Equal("[PAD]", Cased.Value.PadToken);
        Assert.Equal(1, Unigram.Value.PadTokenId);
        Assert.Equal("<pad>", Unigram.Value.PadToken);
        Assert.Null(Cased.Value.TruncationMaxLength);
        Assert.Equal(800, Cased.Value.VocabSize);
        Assert.Equal(2, Cased.Value.TokenToId("[CLS]"));
        Assert.Equal("[SEP]", Cased.Value.IdToToken(3));
        Assert.Null(Cased.Value.TokenToId("no-such-token-xyz"));
        Assert.Equal("<mask>", Unigram.Value.IdToToken(Unigram.Value.VocabSize - 1));
    }

    [Fact]
    public void UncasedStripsAccentsButKeepsØ()
    {
        var e = Uncased.Value.Encode("Å ø æ é ü ñ", addSpecialTokens: false);
        Assert.Equal(["a", "ø", "æ", "e", "u", "n"], e.Tokens);
        Assert.Equal([(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)], e.Offsets);
    }

    [Fact]
    public void CasedKeepsAccents()
    {
        var e = Cased.Value.Encode("Å", addSpecialTokens: false);
        Assert.Equal(["Å"], e.Tokens);
    }

    [Fact]
    public void TruncationCountsSpecialTokens()
    {
        var full = Cased.Value.Encode("Jeg kan ikke forstå hvorfor rødgrød er så svær at sige.");
        var cut = Cased.Value.Encode("Jeg kan ikke forstå hvorfor rødgrød er så svær at sige.", maxLength: 8);
        Assert.Equal(8, cut.Ids.Length);
        Assert.Equal("[CLS]", cut.Tokens[0]);
        Assert.Equal("[SEP]", cut.Tokens[^1]);
        Assert.Equal(full.Ids[..7], cut.Ids[..7]);
        Assert.Equal([1, 0, 0, 0, 0, 0, 0, 1], cut.SpecialTokensMask);
        var noSpecial = Cased.Value.Encode("Jeg kan ikke forstå", addSpecialTokens: false, maxLength: 3);
        Assert.Equal(3, noSpecial.Ids.Length);
        var shortText = Cased.Value.Encode("Hei", maxLength: 100);
        Assert.Equal(Cased.Value.Encode("Hei").Ids, shortText.Ids);
    }

    [Fact]
    public void PairTypeIdsAndTruncation()
    {
        var e = Cased.Value.EncodePair("Hei på deg", "Hej med dig", maxLength: 9);
        Assert.Equal(9, e.Ids.Length);
        Assert.Equal(0, e.TypeIds[0]);
        Assert.Equal(1, e.TypeIds[^1]);
        Assert.Equal(2, e.Tokens.Count(t => t == "[SEP]"));
    }

    [Fact]
    public void PadBatchRightAndLeft()
    {
        var batch = Cased.Value.EncodeBatch(["Hei", "Hei på deg, hvordan går det?", "Ja"]);
        var (ids, mask, types, seqLen) = Padding.PadBatch(batch, padId: 0);
        Assert.Equal(batch.Max(b => b.Ids.Length), seqLen);
        Assert.Equal(3 * seqLen, ids.Length);
        Assert.Equal(batch[0].Ids, ids[..batch[0].Ids.Length]);
        Assert.All(ids[batch[0].Ids.Length..seqLen], x => Assert.Equal(0, x));
        Assert.Equal(batch[0].Ids.Length, mask[..seqLen].Sum());
        Assert.All(types, x => Assert.Equal(0, x));

        var (lids, lmask, _, lseq) = Padding.PadBatch(batch, padId: 7, padLeft: true, padToMultipleOf: 8);
        Assert.Equal(0, lseq % 8);
        int n0 = batch[0].Ids.Length;
        Assert.Equal(batch[0].Ids, lids[(lseq - n0)..lseq]);
        Assert.Equal(7, lids[0]);
        Assert.Equal(0, lmask[0]);
        Assert.Equal(1, lmask[lseq - 1]);
    }

    [Fact]
    public void EncodeBatchPreservesOrder()
    {
        var texts = Enumerable.Range(0, 64).Select(i => $"Setning nummer {i} om fjellet").ToArray();
        var batch = Unigram.Value.EncodeBatch(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(Unigram.Value.Encode(texts[i]).Ids, batch[i].Ids);
    }

    [Fact]
    public void AddedTokensAreExtractedBeforeTheModel()
    {
        var e = Cased.Value.Encode("a [MASK] b", addSpecialTokens: false);
        Assert.Equal(["a", "[MASK]", "b"], e.Tokens);
        Assert.Equal((2, 8), e.Offsets[1]);
        Assert.Equal(4, e.Ids[1]);

        // <mask> has lstrip=true: it swallows the space before it (token text and offsets included).
        var u = Unigram.Value.Encode("hei <mask>", addSpecialTokens: false);
        Assert.Equal(" <mask>", u.Tokens[^1]);
        Assert.Equal((3, 10), u.Offsets[^1]);
        Assert.Equal(Unigram.Value.TokenToId("<mask>"), u.Ids[^1]);
    }

    [Fact]
    public void AddedTokenOptionsSingleWordAndRStrip()
    {
        string json = """
        {"added_tokens":[
          {"id":3,"content":"ja","single_word":true,"lstrip":false,"rstrip":false,"normalized":false,"special":false},
          {"id":4,"content":"<x>","single_word":false,"lstrip":false,"rstrip":true,"normalized":false,"special":true}],
         "normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},"post_processor":null,
         "model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"n":1,"##ja":2,"ja":3,"<x>":4,"b":5}}}
        """;
        var t = Tokenizer.FromJson(json);
        var e = t.Encode("ja nja <x>  b");
        Assert.Equal(["ja", "n", "##ja", "<x>  ", "b"], e.Tokens);
        Assert.Equal([(0, 2), (3, 4), (4, 6), (7, 12), (12, 13)], e.Offsets);
    }

    [Fact]
    public void OffsetsAreInCodePoints()
    {
        var e = Cased.Value.Encode("😀 a", addSpecialTokens: false);
        Assert.Equal([(0, 1), (2, 3)], e.Offsets);
    }

    [Fact]
    public void EmptyInput()
    {
        var e = Unigram.Value.Encode("");
        Assert.Equal(["<s>", "</s>"], e.Tokens);
        Assert.Empty(Cased.Value.Encode("", addSpecialTokens: false).Ids);
    }
}
