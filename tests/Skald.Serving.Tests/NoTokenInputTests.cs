using Skald.Models;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A decoder served as an embedding model (fixtures/models/decoder-qwen2: its tokenizer adds no special tokens) makes no
/// token of a text of whitespace alone: such an input is a 400 naming it, not a forward pass over nothing (a 500 when
/// it was alone in its batch) or a zero vector beside other inputs, and the server goes on serving.
/// </summary>
public sealed class NoTokenInputTests
{
    [Theory]
    [InlineData("{\"input\": \" \"}", "input[0]")]
    [InlineData("{\"input\": [\"Hei\", \"   \"]}", "input[1]")]
    public async Task AnInputWithNoTokensIs400NamingIt(string json, string named)
    {
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(TestPaths.FixtureModel("decoder-qwen2")), "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address };
        var (status, body) = await PostAsync(client, json);
        Assert.Equal(400, status);
        var error = Error(body);
        Assert.Equal("input", error.GetProperty("param").GetString());
        Assert.StartsWith(named + " has no tokens", error.GetProperty("message").GetString());
        Assert.Equal(200, (await PostAsync(client, "{\"input\": [\"Hei\", \"på deg\"]}")).Status);
        Assert.DoesNotContain("code=\"500\"", await client.GetStringAsync("metrics"));
    }
}
