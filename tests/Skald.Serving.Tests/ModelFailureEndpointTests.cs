using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Skald.Models;
using Skald.Models.CrossEncoders;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A model that fails on a batch (here: NaN weights, so non-finite outputs) answers 500 with the model's own line, on
/// <c>/v1/rerank</c> as on <c>/v1/embeddings</c>: the folder and what is wrong, no stack trace, not a bare "see its log".
/// </summary>
public sealed class ModelFailureEndpointTests
{
    private readonly string dir = TestPaths.NewTempDir();

    [Fact]
    public async Task ANonFiniteRerankerOrEncoderIs500WithTheModelsLine()
    {
        string encoderDir = NaNCopy("bert-cased-mean"), rerankerDir = NaNCopy("ce-bert");
        var rerank = new RerankService(CrossEncoder.Load(rerankerDir));
        await using var server = await EmbeddingServer.StartAsync(SentenceEncoder.Load(encoderDir), null, rerank, "127.0.0.1", 0);
        using var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };

        using var reranked = await client.PostAsync("v1/rerank",
            new StringContent(Json(new { query = "Kva tid går ferja?", documents = new[] { "Ferja går kvar time.", "Fjorden ligg stille." } }), Encoding.UTF8, "application/json"));
        Assert.Equal(500, (int)reranked.StatusCode);
        string rerankMessage = Message(JsonDocument.Parse(await reranked.Content.ReadAsStringAsync()).RootElement);
        Assert.StartsWith($"{rerankerDir}: the model gives a non-finite score (NaN or infinity) for pair ", rerankMessage);

        var (status, body) = await PostAsync(client, Json(new { input = new[] { "Ferja går kvar time." }, model = "m" }));
        Assert.Equal(500, status);
        Assert.StartsWith($"{encoderDir}: the model gives a non-finite embedding (NaN or infinity)", Message(body));

        string metrics = await client.GetStringAsync("metrics");
        Assert.Contains("skald_requests_total{endpoint=\"rerank\",code=\"500\"} 1", metrics);
        Assert.Contains("skald_requests_total{endpoint=\"embeddings\",code=\"500\"} 1", metrics);
    }

    private static string Message(JsonElement body)
    {
        var error = Error(body);
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        string message = error.GetProperty("message").GetString()!;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("see its log", message);
        return message;
    }

    /// <summary>A copy of a fixture model whose every weight is NaN (the safetensors header kept).</summary>
    private string NaNCopy(string fixture)
    {
        string source = TestPaths.FixtureModel(fixture), model = Path.Combine(dir, fixture);
        foreach (var f in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(model, Path.GetRelativePath(source, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        string weights = Path.Combine(model, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(weights);
        long start = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        for (long i = start; i + 4 <= bytes.Length; i += 4) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)i), float.NaN);
        File.WriteAllBytes(weights, bytes);
        return model;
    }
}
