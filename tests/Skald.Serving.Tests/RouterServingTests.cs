using Skald.Models;
using Skald.Tensors;
using Skald.Training.EmbeddingAdapters;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A Router folder (base model + query adapter) behind <c>skald serve</c>: <c>input_type: "query"</c> takes the query
/// route with the model's query prompt, "document" the document route with its passage prompt, no input_type the
/// default (document) route without a prompt, anything else is a 400.
/// </summary>
public sealed class RouterServingTests
{
    [Fact]
    public async Task InputTypePicksTheRoute()
    {
        var baseModel = SentenceEncoder.Load(ModelDir);
        var adapter = QueryAdapter.Create(QueryAdapterKind.Linear, baseModel.Dimension);
        var r = new SkaldRandom(7);
        var w = adapter.Parameters[0].Data.Span;
        for (int i = 0; i < w.Length; i++) w[i] += 0.1f * (float)r.NextGaussian();
        string folder = Path.Combine(TestPaths.NewTempDir(), "router");
        RouterFolderWriter.Save(baseModel, adapter, folder);

        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(folder), "127.0.0.1", 0, new Skald.Serving.EmbeddingServiceOptions());
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
        string[] texts = Texts[..3];
        // The fixture's prompts: "query: " for queries, "passage: " for documents (as encode_query / encode_document).
        var expectedDocuments = baseModel.Encode(texts, new EncodeOptions { PromptName = "passage" });
        var expectedQueries = adapter.Apply(baseModel.Encode(texts, new EncodeOptions { PromptName = "query" }));
        var expectedPlain = baseModel.Encode(texts);

        var (status, body) = await PostAsync(client, Json(new { input = texts, model = "m", input_type = "query" }));
        Assert.Equal(200, status);
        var queries = Embeddings(body, "router");
        (status, body) = await PostAsync(client, Json(new { input = texts, model = "m", input_type = "document" }));
        Assert.Equal(200, status);
        var documents = Embeddings(body, "router");
        (status, body) = await PostAsync(client, Json(new { input = texts, model = "m" }));
        var plain = Embeddings(body, "router");
        for (int i = 0; i < texts.Length; i++)
        {
            for (int j = 0; j < baseModel.Dimension; j++)
            {
                Assert.Equal(expectedQueries[i][j], queries[i][j], 5e-5f);
                Assert.Equal(expectedDocuments[i][j], documents[i][j], 1e-5f);
            }
            for (int j = 0; j < baseModel.Dimension; j++) Assert.Equal(expectedPlain[i][j], plain[i][j], 1e-5f);
        }

        (status, body) = await PostAsync(client, Json(new { input = texts, model = "m", input_type = "question" }));
        Assert.Equal(400, status);
        Assert.Equal("input_type", body.GetProperty("error").GetProperty("param").GetString());
    }
}
