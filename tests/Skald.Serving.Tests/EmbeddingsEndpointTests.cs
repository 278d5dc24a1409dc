using System.Text.Json;
using Skald.Serving;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>POST /v1/embeddings and GET /v1/models against the real server over loopback.</summary>
public sealed class EmbeddingsEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ArrayOfStringsGivesTheEmbeddingsEncodeGives()
    {
        var (status, body) = await PostAsync(fixture.Client, Json(new { input = Texts, model = "bert-cased-mean" }));
        Assert.Equal(200, status);
        var got = Embeddings(body);
        var expected = fixture.Reference.Encode(Texts);
        Assert.Equal(Texts.Length, got.Length);
        for (int i = 0; i < got.Length; i++) AssertClose(expected[i], got[i]);
        long tokens = fixture.Reference.Tokenize(Texts).Sum(e => (long)e.Length);
        Assert.Equal(tokens, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt64());
    }

    [Fact]
    public async Task OneStringGivesOneEmbedding()
    {
        var (status, body) = await PostAsync(fixture.Client, Json(new { input = Texts[3], model = "anything" }));
        Assert.Equal(200, status);
        var got = Assert.Single(Embeddings(body));
        AssertClose(fixture.Reference.Encode(Texts[3]), got);
    }

    [Fact]
    public async Task TokenArraysGiveTheEmbeddingsOfTheirTexts()
    {
        var ids = fixture.Reference.Tokenize(Texts[..5]).Select(e => e.Ids).ToArray();
        var (status, body) = await PostAsync(fixture.Client, Json(new { input = ids, model = "m" }));
        Assert.Equal(200, status);
        var got = Embeddings(body);
        var expected = fixture.Reference.Encode(Texts[..5]);
        for (int i = 0; i < got.Length; i++) AssertClose(expected[i], got[i]);
        // One array of ints is one input.
        (status, body) = await PostAsync(fixture.Client, Json(new { input = ids[2], model = "m" }));
        Assert.Equal(200, status);
        AssertClose(expected[2], Assert.Single(Embeddings(body)));
    }

    [Fact]
    public async Task Base64IsLittleEndianFloat32OfTheSameValues()
    {
        var (_, floats) = await PostAsync(fixture.Client, Json(new { input = Texts[..4], model = "m" }));
        var (status, packed) = await PostAsync(fixture.Client, Json(new { input = Texts[..4], model = "m", encoding_format = "base64" }));
        Assert.Equal(200, status);
        Assert.Equal(JsonValueKind.String, packed.GetProperty("data")[0].GetProperty("embedding").ValueKind);
        var a = Embeddings(floats);
        var b = Embeddings(packed);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public async Task OutputDtypeBinaryGivesThePackedSignBits()
    {
        var expected = fixture.Reference.Encode(Texts[..3]);
        // Independently: bit d of byte d/8 (first dimension high) is set when dimension d is above 0.
        byte[] Pack(float[] v) => [.. Enumerable.Range(0, v.Length / 8).Select(b => (byte)Enumerable.Range(0, 8).Sum(i => v[b * 8 + i] > 0 ? 1 << (7 - i) : 0))];
        var (status, body) = await PostAsync(fixture.Client, Json(new { input = Texts[..3], model = "m", output_dtype = "ubinary" }));
        Assert.Equal(200, status);
        var (_, signed) = await PostAsync(fixture.Client, Json(new { input = Texts[..3], model = "m", output_dtype = "binary" }));
        var (_, base64) = await PostAsync(fixture.Client, Json(new { input = Texts[..3], model = "m", output_dtype = "ubinary", encoding_format = "base64" }));
        for (int i = 0; i < 3; i++)
        {
            var bytes = Pack(expected[i]);
            Assert.Equal(bytes.Select(b => (int)b), body.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal(bytes.Select(b => b - 128), signed.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal(bytes, base64.GetProperty("data")[i].GetProperty("embedding").GetBytesFromBase64());
        }
        (status, body) = await PostAsync(fixture.Client, Json(new { input = "x", model = "m", output_dtype = "binary", dimensions = 12 }));
        Assert.Equal(400, status);
        Assert.Equal("output_dtype", Error(body).GetProperty("param").GetString());
        (status, body) = await PostAsync(fixture.Client, Json(new { input = "x", model = "m", output_dtype = "int8" }));
        Assert.Equal(400, status);
        Assert.Contains("needs calibration ranges, which this server was not given (skald serve --ranges FILE)", Error(body).GetProperty("message").GetString());
    }

    [Fact]
    public async Task OutputDtypeInt8AndUint8AreTheLevelsOfTheServersRanges()
    {
        // Ranges calibrated on the first five texts (as skald encode --precision int8 writes them for a corpus).
        var calibration = fixture.Reference.Encode(Texts[..5]);
        var ranges = Skald.Retrieval.Quantization.QuantizationRanges.FromEmbeddings(calibration);
        await using var server = await StartAsync(new EmbeddingServiceOptions { Ranges = ranges });
        using var client = new HttpClient { BaseAddress = server.Address };
        var expected = fixture.Reference.Encode(Texts[..3]);
        byte[] Levels(float[] v, Skald.Retrieval.Quantization.EmbeddingPrecision p, Skald.Retrieval.Quantization.QuantizationRanges r)
        {
            var row = new byte[v.Length];
            Skald.Retrieval.Quantization.EmbeddingQuantizer.QuantizeRow(v, p, r, row); // the quantizer's bytes equal numpy's (QuantizationTests)
            return row;
        }
        var (status, int8) = await PostAsync(client, Json(new { input = Texts[..3], model = "m", output_dtype = "int8" }));
        Assert.Equal(200, status);
        var (_, uint8) = await PostAsync(client, Json(new { input = Texts[..3], model = "m", output_dtype = "uint8", encoding_format = "base64" }));
        var (_, shortened) = await PostAsync(client, Json(new { input = Texts[..3], model = "m", output_dtype = "int8", dimensions = 16 }));
        var firstSixteen = new Skald.Retrieval.Quantization.QuantizationRanges([.. ranges.Minima.Take(16)], [.. ranges.Maxima.Take(16)]);
        var (_, truncated) = await PostAsync(client, Json(new { input = Texts[..3], model = "m", dimensions = 16 }));
        var truncatedFloats = Embeddings(truncated);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Levels(expected[i], Skald.Retrieval.Quantization.EmbeddingPrecision.Int8, ranges).Select(b => (int)(sbyte)b),
                int8.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetInt32()));
            Assert.Equal(Levels(expected[i], Skald.Retrieval.Quantization.EmbeddingPrecision.Uint8, ranges),
                uint8.GetProperty("data")[i].GetProperty("embedding").GetBytesFromBase64());
            Assert.Equal(Levels(truncatedFloats[i], Skald.Retrieval.Quantization.EmbeddingPrecision.Int8, firstSixteen).Select(b => (int)(sbyte)b),
                shortened.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetInt32()));
        }
        Assert.Contains(int8.GetProperty("data")[0].GetProperty("embedding").EnumerateArray(), v => v.GetInt32() < 0); // signed levels
    }

    [Fact]
    public async Task DimensionsTruncatesAndRenormalises()
    {
        var (status, body) = await PostAsync(fixture.Client, Json(new { input = Texts[..3], model = "m", dimensions = 8 }));
        Assert.Equal(200, status);
        var got = Embeddings(body);
        var full = fixture.Reference.Encode(Texts[..3]);
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal(8, got[i].Length);
            double norm = Math.Sqrt(full[i].Take(8).Sum(v => (double)v * v));
            AssertClose(full[i].Take(8).Select(v => (float)(v / norm)).ToArray(), got[i]);
        }
        (status, body) = await PostAsync(fixture.Client, Json(new { input = "x", model = "m", dimensions = 33 }));
        Assert.Equal(400, status);
        Assert.Equal("dimensions", Error(body).GetProperty("param").GetString());
    }

    [Fact]
    public async Task ModelsListsTheServedModel()
    {
        var body = JsonDocument.Parse(await fixture.Client.GetStringAsync("v1/models")).RootElement;
        Assert.Equal("list", body.GetProperty("object").GetString());
        var model = Assert.Single(body.GetProperty("data").EnumerateArray().ToArray());
        Assert.Equal("bert-cased-mean", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.True(model.GetProperty("created").GetInt64() > 0);
        Assert.Equal(JsonValueKind.String, model.GetProperty("owned_by").ValueKind);
        var one = JsonDocument.Parse(await fixture.Client.GetStringAsync("v1/models/bert-cased-mean")).RootElement;
        Assert.Equal("bert-cased-mean", one.GetProperty("id").GetString());
        using var missing = await fixture.Client.GetAsync("v1/models/gpt-4");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("model_not_found", Error(JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement).GetProperty("code").GetString());
        using var unknown = await fixture.Client.GetAsync("v1/chat/completions");
        Assert.Equal(404, (int)unknown.StatusCode);
        Error(JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement);
    }

    [Fact]
    public async Task HealthAndMetricsAnswer()
    {
        await PostAsync(fixture.Client, Json(new { input = Texts[..2], model = "m" }));
        var health = JsonDocument.Parse(await fixture.Client.GetStringAsync("health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.False(health.TryGetProperty("index", out _)); // no index served: nothing to report on
        string metrics = await fixture.Client.GetStringAsync("metrics");
        foreach (var name in new[] { "skald_requests_total{endpoint=\"embeddings\",code=\"200\"}", "skald_request_duration_seconds_bucket",
                     "skald_batch_size_bucket", "skald_tokens_total", "skald_inputs_total" })
            Assert.Contains(name, metrics);
    }

    [Fact]
    public async Task HealthAnswersHeadAsWellAsGet()
    {
        // checkers that ask with HEAD (uptime monitors, some load balancers) get GET's status without its body
        using var head = await fixture.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "health"));
        Assert.Equal(200, (int)head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        using var post = await fixture.Client.PostAsync("health", new StringContent(""));
        Assert.Equal(405, (int)post.StatusCode);
        Assert.Equal(["GET", "HEAD"], post.Content.Headers.Allow.OrderBy(m => m, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ABodyStartingWithAByteOrderMarkIsReadAsWithout()
    {
        // Windows PowerShell's Invoke-RestMethod and .NET Framework's UTF-8 writers start the body with EF BB BF
        string json = Json(new { input = Texts[..2], model = "m" });
        using var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(json)]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await fixture.Client.PostAsync("v1/embeddings", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var got = Embeddings(JsonDocument.Parse(body).RootElement);
        var expected = fixture.Reference.Encode(Texts[..2]);
        for (int i = 0; i < 2; i++) AssertClose(expected[i], got[i]);
    }

    [Fact]
    public async Task ConcurrentClientsAreBatchedAndGetTheirOwnEmbeddings()
    {
        var expected = fixture.Reference.Encode(Texts);
        var tasks = Enumerable.Range(0, 16).Select(async r =>
        {
            int n = 1 + r % 7, start = (r * 5) % (Texts.Length - n);
            var (status, body) = await PostAsync(fixture.Client, Json(new { input = Texts[start..(start + n)], model = "m" }));
            Assert.Equal(200, status);
            var got = Embeddings(body);
            Assert.Equal(n, got.Length);
            for (int i = 0; i < n; i++) AssertClose(expected[start + i], got[i]);
        }).ToArray();
        await Task.WhenAll(tasks);
    }
}
