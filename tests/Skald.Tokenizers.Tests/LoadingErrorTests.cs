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
        var ex = Load(Json(model: """{"type":"BPE","vocab":{},"merges":[]}"""));
        Assert.Contains("unknown model type \"BPE\" at model", ex.Message);
        Assert.Contains("my/tokenizer.json", ex.Message);
    }

    [Fact]
    public void UnknownPostProcessor()
    {
        var ex = Load(Json(post: """{"type":"ByteLevel"}"""));
        Assert.Contains("unknown post_processor type \"ByteLevel\" at post_processor", ex.Message);
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
        Assert.StartsWith("my/tokenizer.json: invalid JSON", ex.Message);
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
