using Skald.Models;
using Skald.Models.Checkpoints;
using Skald.Tests;
using Skald.Tokenizers;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// The server refuses exactly the inputs longer than max_seq_length (<see cref="Encoding.Truncated"/>), for models that
/// add no special tokens: a StaticEmbedding model and a Qwen 2 decoder (ByteLevel post-processor only). Where whole
/// words end exactly at max_length the tokenizer leaves no overflowing part (HF's early cut); such a text used to be
/// embedded cut instead of refused. Token counts come from encoding the texts without any limit.
/// </summary>
public sealed class TooLongDecisionTests
{
    private static readonly string[] Words = ["fjellet", "er", "høyt", "og", "fjorden", "er", "dyp", "om", "vinteren", "når", "det", "snør", "mye", "her"];

    /// <summary>A StaticEmbedding folder (wordpiece-uncased, no special tokens), without max_seq_length yet.</summary>
    private static string StaticModel()
    {
        string dir = TestPaths.NewTempDir();
        string module = Path.Combine(dir, "0_StaticEmbedding");
        Directory.CreateDirectory(module);
        string tokenizerJson = Path.Combine(TestPaths.Fixtures, "tokenizers", "wordpiece-uncased", "tokenizer.json");
        File.Copy(tokenizerJson, Path.Combine(module, "tokenizer.json"));
        int vocab = Tokenizer.FromFile(tokenizerJson).VocabSize, dim = 8;
        var rng = new Random(3);
        var table = Enumerable.Range(0, vocab * dim).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        SafeTensorsWriter.Write(Path.Combine(module, "model.safetensors"), [new TensorToWrite("embedding.weight", [vocab, dim], table)]);
        File.WriteAllText(Path.Combine(dir, "modules.json"),
            """[{"idx":0,"name":"0","path":"0_StaticEmbedding","type":"sentence_transformers.models.StaticEmbedding"}]""");
        return dir;
    }

    /// <summary>
    /// The model of <paramref name="kind"/> with max_seq_length set to the token count of <see cref="Words"/>' first
    /// three (a limit that ends at a word), and the texts of 1.. all words and a long one with their untruncated counts.
    /// </summary>
    private static (SentenceEncoder Encoder, int Max, List<(string Text, int Tokens)> Texts) Model(string kind)
    {
        string dir = kind == "static" ? StaticModel() : TestPaths.CopyOfFixtureModel("decoder-qwen2");
        string tokenizerFolder = kind == "static" ? Path.Combine(dir, "0_StaticEmbedding") : dir;
        var texts = Texts(Tokenizer.FromFile(Path.Combine(tokenizerFolder, "tokenizer.json")));
        int max = texts[2].Tokens;
        File.WriteAllText(Path.Combine(tokenizerFolder, "sentence_bert_config.json"), $$"""{"max_seq_length": {{max}}}""");
        var encoder = SentenceEncoder.Load(dir);
        Assert.Equal(max, encoder.MaxSeqLength);
        return (encoder, max, texts);
    }

    private static List<(string Text, int Tokens)> Texts(Tokenizer tokenizer)
    {
        var texts = new List<(string, int)>();
        for (int n = 1; n <= Words.Length; n++)
        {
            string text = string.Join(' ', Words.Take(n));
            texts.Add((text, tokenizer.Encode(text, false).Length));
        }
        texts.Add((string.Join(' ', Enumerable.Repeat(string.Join(' ', Words), 50)), int.MaxValue));
        return texts;
    }

    [Theory]
    [InlineData("static")]
    [InlineData("decoder")]
    public async Task ExactlyTheTextsLongerThanMaxSeqLengthAreRefused(string kind)
    {
        var (encoder, max, texts) = Model(kind);
        Assert.True(encoder.Tokenize(["fjellet"])[0].Length == encoder.Tokenizer.Encode("fjellet", false).Length, "the model adds no special tokens");
        Assert.Contains(texts, t => t.Tokens > max && encoder.Tokenizer.Encode(t.Text, false, max).Overflowing.Count == 0);
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions());
        using var client = new HttpClient { BaseAddress = server.Address };
        foreach (var (text, tokens) in texts)
        {
            var (status, body) = await PostAsync(client, Json(new { input = new[] { "kort", text }, model = "m" }));
            string where = $"{kind}: {tokens} tokens, max {max}: \"{text[..Math.Min(60, text.Length)]}\"";
            if (tokens <= max)
            {
                Assert.True(status == 200, $"{where}: HTTP {status}");
                continue;
            }
            Assert.True(status == 400, $"{where}: HTTP {status}, not refused");
            var error = Error(body);
            Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
            Assert.Contains("input[1]", error.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData("static")]
    [InlineData("decoder")]
    public async Task WithTruncationOnTheyAreEmbeddedFromTheirFirstTokens(string kind)
    {
        var (encoder, max, texts) = Model(kind);
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions { Truncate = true });
        using var client = new HttpClient { BaseAddress = server.Address };
        // The first three words are exactly max tokens: the four-word text and the long one read just those.
        Assert.Equal(max, texts[2].Tokens);
        var (status, body) = await PostAsync(client, Json(new { input = new[] { texts[2].Text, texts[3].Text, texts[^1].Text }, model = "m" }));
        Assert.Equal(200, status);
        var vectors = Embeddings(body, body.GetProperty("model").GetString()!);
        Assert.Equal(3 * max, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        AssertClose(vectors[0], vectors[1]);
        AssertClose(vectors[0], vectors[2]);
    }
}
