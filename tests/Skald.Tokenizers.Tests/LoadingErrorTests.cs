namespace Skald.Tokenizers.Tests;

/// <summary>Malformed or unsupported tokenizer.json gives a TokenizerException naming the file and the part.</summary>
public sealed class LoadingErrorTests
{
    private const string Model = """{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,"hei":3}}""";

    private static string Json(string normalizer = "null", string pre = "null", string post = "null", string model = Model) =>
        $$"""{"version":"1.0","added_tokens":[],"normalizer":{{normalizer}},"pre_tokenizer":{{pre}},"post_processor":{{post}},"model":{{model}}}""";

    private static TokenizerException Load(string json) => Assert.Throws<TokenizerException>(() => Tokenizer.FromJson(json, "my/tokenizer.json"));

    [Fact]
    public void UnknownNormalizerNamesTypeAndPath()
    {
        var ex = Load(Json(normalizer: """{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Foo"}]}"""));
        Assert.Equal("my/tokenizer.json: unknown normalizer type \"Foo\" at normalizer.normalizers[1]", ex.Message);
    }

    [Fact]
    public void UnknownPreTokenizer()
    {
        var ex = Load(Json(pre: """{"type":"Sequence","pretokenizers":[{"type":"Bar"}]}"""));
        Assert.Contains("my/tokenizer.json", ex.Message);
        Assert.Contains("unknown pre_tokenizer type \"Bar\" at pre_tokenizer.pretokenizers[0]", ex.Message);
    }

    [Fact]
    public void UnknownModel()
    {
        var ex = Load(Json(model: """{"type":"SentencePieceBPE","vocab":{},"merges":[]}"""));
        Assert.Contains("unknown model type \"SentencePieceBPE\" at model", ex.Message);
        Assert.Contains("my/tokenizer.json", ex.Message);
    }

    [Fact]
    public void UnknownPostProcessor()
    {
        var ex = Load(Json(post: """{"type":"Sequence","processors":[{"type":"ByteLevel"},{"type":"Bogus"}]}"""));
        Assert.Contains("unknown post_processor type \"Bogus\" at post_processor.processors[1]", ex.Message);
    }

    [Fact]
    public void UnknownDecoder()
    {
        var ex = Load(Json().Replace("\"model\":", "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Nope\"}]},\"model\":"));
        Assert.Contains("unknown decoder type \"Nope\" at decoder.decoders[0]", ex.Message);
    }

    [Fact]
    public void BadMergesNameTheMerge()
    {
        var ex = Load(Json(model: """{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b","a c"]}"""));
        Assert.Contains("bad merges", ex.Message);
        Assert.Contains("merges[1] \"a c\": token \"c\" is not in the vocabulary", ex.Message);
        Assert.Contains("at model.merges", ex.Message);
        var merged = Load(Json(model: """{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}"""));
        Assert.Contains("merged token \"ab\" is not in the vocabulary", merged.Message);
        var shape = Load(Json(model: """{"type":"BPE","vocab":{"a":0,"b":1},"merges":["ab"]}"""));
        Assert.Contains("bad merge \"ab\"", shape.Message);
        Assert.Contains("at model.merges[0]", shape.Message);
        var missing = Load(Json(model: """{"type":"BPE","vocab":{"a":0}}"""));
        Assert.Contains("missing \"merges\" at model", missing.Message);
    }

    [Fact]
    public void BadRegexAndBehaviour()
    {
        var ex = Load(Json(pre: """{"type":"Split","pattern":{"Regex":"(unclosed"},"behavior":"Isolated","invert":false}"""));
        Assert.Contains("invalid regex \"(unclosed\"", ex.Message);
        Assert.Contains("at pre_tokenizer.pattern", ex.Message);
        var b = Load(Json(pre: """{"type":"Split","pattern":{"String":" "},"behavior":"Sideways","invert":false}"""));
        Assert.Contains("unknown split behavior \"Sideways\" at pre_tokenizer.behavior", b.Message);
    }

    [Fact]
    public void MissingVocab()
    {
        var ex = Load(Json(model: """{"type":"WordPiece","unk_token":"[UNK]"}"""));
        Assert.Contains("missing \"vocab\" at model", ex.Message);
        Assert.Contains("my/tokenizer.json", ex.Message);
    }

    [Fact]
    public void MissingModel()
    {
        var ex = Load("""{"normalizer":null}""");
        Assert.Contains("my/tokenizer.json: missing \"model\"", ex.Message);
    }

    [Fact]
    public void InvalidJson()
    {
        var ex = Load("{\"model\": ");
        Assert.StartsWith("my/tokenizer.json: not JSON (line 1, column ", ex.Message);
        Assert.DoesNotContain("LineNumber", ex.Message);
        // nothing at all was the parser's "The input does not contain any JSON tokens ... LineNumber: 0 | BytePositionInLine: 0"
        Assert.Equal("my/tokenizer.json: empty", Load(" \n").Message);
    }

    [Fact]
    public void BadUnigramEntry()
    {
        var ex = Load(Json(model: """{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a"]]}"""));
        Assert.Contains("at model.vocab[1]", ex.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFoundWithPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "skald-no-such-dir", "tokenizer.json");
        var ex = Assert.Throws<FileNotFoundException>(() => Tokenizer.FromFile(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void FromFileErrorsNameThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skald-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, Json(normalizer: """{"type":"Foo"}"""));
        try
        {
            var ex = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(path));
            Assert.Equal($"{path}: unknown normalizer type \"Foo\" at normalizer", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
