using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Skald.Models;
using Skald.Serving;

namespace Skald.Serving.Tests;

/// <summary>
/// A real server over loopback on a free port, serving fixtures/models/bert-cased-mean, plus the same model loaded a
/// second time for the expected embeddings (SentenceEncoder.Encode, as <c>skald encode</c> computes them).
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public static string ModelDir => TestPaths.FixtureModel("bert-cased-mean");

    /// <summary>The fixture texts that fit the model's 64 tokens (a longer one is a 400 unless the server truncates).</summary>
    public static string[] Texts { get; } = FittingTexts();

    private static string[] FittingTexts()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.Fixtures, "models", "texts.txt")).Where(t => t.Trim().Length > 0).ToArray();
        var encodings = SentenceEncoder.Load(ModelDir).Tokenize(lines);
        var texts = lines.Where((_, i) => encodings[i].Overflowing.Count == 0).ToArray();
        Assert.True(texts.Length >= 30 && texts.Length < lines.Length);
        return texts;
    }

    public SentenceEncoder Reference { get; } = SentenceEncoder.Load(ModelDir);

    public EmbeddingServer Server { get; private set; } = null!;

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        Server = await StartAsync(new EmbeddingServiceOptions());
        Client.BaseAddress = Server.Address;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Another server on a free port with <paramref name="options"/> (the caller disposes it).</summary>
    public static Task<EmbeddingServer> StartAsync(EmbeddingServiceOptions options) =>
        EmbeddingServer.StartAsync(SentenceEncoder.Load(ModelDir), "127.0.0.1", 0, options);

    /// <summary>POSTs <paramref name="json"/> to /v1/embeddings; the status and the parsed body.</summary>
    public static async Task<(int Status, JsonElement Body)> PostAsync(HttpClient client, string json, string? key = null,
        string path = "v1/embeddings")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>The float embeddings of an OpenAI embeddings response, checking its documented shape on the way.</summary>
    public static float[][] Embeddings(JsonElement body, string model = "bert-cased-mean")
    {
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal(model, body.GetProperty("model").GetString());
        var usage = body.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        var data = body.GetProperty("data").EnumerateArray().ToArray();
        var result = new float[data.Length][];
        for (int i = 0; i < data.Length; i++)
        {
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            var e = data[i].GetProperty("embedding");
            result[i] = e.ValueKind == JsonValueKind.String
                ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(e.GetString()!)).ToArray()
                : e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        }
        return result;
    }

    /// <summary>Asserts OpenAI's error shape {"error": {"message", "type", "param", "code"}} and returns the error.</summary>
    public static JsonElement Error(JsonElement body)
    {
        var error = body.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString());
        return error;
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);

    /// <summary>The value of the unlabelled metric <paramref name="name"/> in a <c>/metrics</c> scrape.</summary>
    public static double Metric(string text, string name) => double.Parse(
        text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal))[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
}
