using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Tests;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A multi-megabyte input costs what the model reads of it: the server answers 400 (or, with truncation on, embeds the
/// first max_seq_length tokens) after tokenizing only the start of the text. The work is read from the tokenizer's
/// count of characters tokenized for long texts, not from a clock.
/// </summary>
public sealed class LongInputTests
{
    /// <summary>About 4.5 MB of words, far beyond the fixture model's 64 tokens.</summary>
    private static readonly string Huge = string.Join(' ', Enumerable.Repeat("fjell og fjord", 300_000));

    [Fact]
    public async Task AMultiMegabyteInputIsRefusedAfterTokenizingOnlyItsStart()
    {
        var encoder = SentenceEncoder.Load(ModelDir);
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions());
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        var (status, body) = await PostAsync(client, Json(new { input = new[] { "kort", Huge }, model = "m" }));
        Assert.Equal(400, status);
        var error = Error(body);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("input[1]", error.GetProperty("message").GetString());
        long read = encoder.Tokenizer.LongTextChars;
        Assert.True(read > 0 && read < 10_000, $"{read} of {Huge.Length} characters tokenized to refuse the text");
    }

    [Fact]
    public async Task AMultiMegabyteInputIsTruncatedAfterTokenizingOnlyItsStart()
    {
        var encoder = SentenceEncoder.Load(ModelDir);
        await using var server = await EmbeddingServer.StartAsync(encoder, "127.0.0.1", 0, new EmbeddingServiceOptions { Truncate = true });
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
        var (status, body) = await PostAsync(client, Json(new { input = Huge, model = "m" }));
        Assert.Equal(200, status);
        long read = encoder.Tokenizer.LongTextChars;
        Assert.True(read > 0 && read < 10_000, $"{read} of {Huge.Length} characters tokenized to truncate the text");
        // 450 characters hold more than 64 tokens and are short enough to be tokenized whole: the same first tokens.
        string start = Huge[..450];
        Assert.True(encoder.Tokenize([start])[0].Length == 64, "the start alone fills the model's 64 tokens");
        AssertClose(SentenceEncoder.Load(ModelDir).Encode([start])[0], Assert.Single(Embeddings(body)));
    }

    [Fact]
    public void ARerankersPairsTokenizeOnlyTheStartOfAMultiMegabyteDocument()
    {
        // RerankService tokenizes through CrossEncoder.Tokenize: query and document truncated longest first.
        var model = CrossEncoder.Load(TestPaths.FixtureModel("ce-bert"));
        var pair = Assert.Single(model.Tokenize([("hvor er fjellet", Huge)]));
        long read = model.Tokenizer.LongTextChars;
        Assert.True(read > 0 && read < 10_000, $"{read} of {Huge.Length} characters tokenized for one pair");
        Assert.Equal(model.MaxLength, pair.Length);
        var start = Assert.Single(model.Tokenize([("hvor er fjellet", Huge[..300])]));
        Assert.Equal(start.Ids, pair.Ids);
        Assert.Equal(start.TypeIds, pair.TypeIds);
    }
}
