using System.ClientModel;
using OpenAI;
using OpenAI.Embeddings;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>The official OpenAI .NET SDK's EmbeddingClient, pointed at the local server, gets Skald's embeddings.</summary>
public sealed class OpenAiClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private EmbeddingClient Client(string model = "bert-cased-mean") =>
        new(model, new ApiKeyCredential("not-needed"), new OpenAIClientOptions { Endpoint = new Uri(fixture.Server.Address, "v1") });

    [Fact]
    public async Task EmbeddingClientGetsTheModelsEmbeddings()
    {
        var result = await Client().GenerateEmbeddingsAsync(Texts[..6]);
        var expected = fixture.Reference.Encode(Texts[..6]);
        Assert.Equal(6, result.Value.Count);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(i, result.Value[i].Index);
            AssertClose(expected[i], result.Value[i].ToFloats().ToArray());
        }
        Assert.Equal("bert-cased-mean", result.Value.Model);
        Assert.Equal(fixture.Reference.Tokenize(Texts[..6]).Sum(e => e.Length), result.Value.Usage.InputTokenCount);
    }

    [Fact]
    public async Task DimensionsAndTokenInputsWorkThroughTheClient()
    {
        var one = await Client().GenerateEmbeddingAsync(Texts[2], new EmbeddingGenerationOptions { Dimensions = 16 });
        Assert.Equal(16, one.Value.ToFloats().Length);
        var ids = fixture.Reference.Tokenize([Texts[2]])[0].Ids;
        var fromIds = await Client().GenerateEmbeddingsAsync(new[] { new ReadOnlyMemory<int>(ids) });
        AssertClose(fixture.Reference.Encode(Texts[2]), fromIds.Value[0].ToFloats().ToArray());
    }

    [Fact]
    public async Task ErrorsReachTheClientAsOpenAiErrors()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client().GenerateEmbeddingAsync("x", new EmbeddingGenerationOptions { Dimensions = 64 }));
        Assert.Equal(400, e.Status);
        Assert.Contains("dimensions", e.Message);
        // The SDK prints "HTTP 400 (type: code)": with no code that read "(invalid_request_error: )".
        Assert.Contains("(invalid_request_error: invalid_value)", e.Message);
        Assert.Contains("Parameter: dimensions", e.Message);
    }

    [Fact]
    public async Task AnInputOfTheWrongKindReachesTheClientWithItsCode()
    {
        // The SDK cannot send a wrong kind itself; a raw body through its pipeline does.
        var body = System.ClientModel.BinaryContent.Create(BinaryData.FromString("{\"model\": \"bert-cased-mean\", \"input\": 5}"));
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().GenerateEmbeddingsAsync(body));
        Assert.Equal(400, e.Status);
        Assert.Contains("(invalid_request_error: invalid_type)", e.Message);
        Assert.Contains("Parameter: input", e.Message);
    }
}
