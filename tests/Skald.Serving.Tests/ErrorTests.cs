using System.Net.Http.Headers;
using System.Text;
using Skald.Serving;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>Refusals in OpenAI's error shape: 400 for bad requests, 401 without the key, 413 for large bodies.</summary>
public sealed class ErrorTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("{\"input\": [\"a\", ", null)]
    [InlineData("not json", null)]
    [InlineData("[1, 2]", null)]
    [InlineData("{\"model\": \"m\"}", "input")]
    [InlineData("{\"input\": [], \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": \"\", \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": [\"a\", 3], \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": [[]], \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": [[1, -2]], \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": [[1, 999999]], \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": {\"text\": \"a\"}, \"model\": \"m\"}", "input")]
    [InlineData("{\"input\": \"a\", \"model\": 3}", "model")]
    [InlineData("{\"input\": \"a\", \"model\": \"m\", \"encoding_format\": \"int8\"}", "encoding_format")]
    [InlineData("{\"input\": \"a\", \"model\": \"m\", \"dimensions\": 0}", "dimensions")]
    [InlineData("{\"input\": \"a\", \"model\": \"m\", \"dimensions\": \"8\"}", "dimensions")]
    [InlineData("{\"input\": \"a\\ud800b\", \"model\": \"m\"}", "input")] // a lone surrogate escape: no text holds it
    [InlineData("{\"input\": [\"ok\", \"\\udfff\"], \"model\": \"m\"}", "input")]
    public async Task BadRequestsAre400WithTheField(string json, string? param)
    {
        var (status, body) = await PostAsync(fixture.Client, json);
        Assert.Equal(400, status);
        var error = Error(body);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("PUT", "v1/embeddings", 405, "POST")]
    [InlineData("GET", "v1/embeddings", 405, "POST")]
    [InlineData("DELETE", "v1/models", 405, "GET")]
    [InlineData("POST", "health", 405, "GET")]
    [InlineData("GET", "v1/nothing", 404, null)]
    [InlineData("POST", "v1/chat/completions", 404, null)] // no generator served here
    public async Task AKnownEndpointAskedWithAnotherMethodIs405(string method, string path, int expected, string? allow)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(expected, (int)response.StatusCode);
        var error = Error(System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        Assert.Equal(expected == 405 ? "method_not_allowed" : "unknown_url", error.GetProperty("code").GetString());
        Assert.Equal(allow, response.Content.Headers.Allow.FirstOrDefault());
    }

    [Fact]
    public async Task BytesThatAreNotUtf8Are400NotAServerError()
    {
        // {"input":"<FF FE>","model":"m"}: valid JSON structure, invalid UTF-8 inside the string.
        byte[] body = [.. Encoding.ASCII.GetBytes("{\"input\":\""), 0xFF, 0xFE, .. Encoding.ASCII.GetBytes("\",\"model\":\"m\"}")];
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await fixture.Client.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        var error = Error(System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
        Assert.Equal("input", error.GetProperty("param").GetString());
        Assert.Contains("UTF-8", error.GetProperty("message").GetString());
        var (status, _) = await PostAsync(fixture.Client, "{\"input\": \"a\", \"model\": \"m\"}");
        Assert.Equal(200, status); // and it keeps serving
    }

    [Theory]
    [InlineData("zz\r\n{\"input\": \"a\"}\r\n0\r\n\r\n")] // a chunk size that is no number
    [InlineData("5\r\n{\"input\": \"a\"}\r\n0\r\n\r\n")] // a chunk longer than it says
    [InlineData("ffffffffffffffff\r\n{\"input\": \"a\"}\r\n0\r\n\r\n")] // a chunk size too large to read (Kestrel's IOException, not its BadHttpRequestException)
    public async Task ABrokenChunkedBodyIs400NotAServerError(string body)
    {
        // Its own server, so that its metrics count this request alone. The server answers 400 and closes with the rest
        // of the body unread, so its close can reach this socket as a reset that drops the answer before it is read
        // (TCP), and Kestrel may also end such a connection before the endpoint runs: an answer that arrives must be the
        // 400, and the request must never count as a server failure.
        await using var server = await StartAsync(new EmbeddingServiceOptions());
        string answer = await RawAsync(server.Address,
            $"POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
        if (answer.Length > 0)
        {
            Assert.StartsWith("HTTP/1.1 400 ", answer);
            var error = Error(System.Text.Json.JsonDocument.Parse(answer[answer.IndexOf('{')..(answer.LastIndexOf('}') + 1)]).RootElement);
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Contains("the request body could not be read", error.GetProperty("message").GetString());
        }
        using var http = new HttpClient { BaseAddress = server.Address };
        var (status, _) = await PostAsync(http, "{\"input\": \"a\", \"model\": \"m\"}");
        Assert.Equal(200, status); // and it keeps serving
        Assert.DoesNotContain("code=\"500\"", await http.GetStringAsync("metrics"));
    }

    [Theory]
    [InlineData("NOT AN HTTP REQUEST\r\n\r\n", "400")] // a malformed request line
    [InlineData("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nX-Big: {0}\r\nContent-Length: 2\r\n\r\n{{}}", "431")] // headers past Kestrel's 32 KB
    public async Task ARequestKestrelRefusesGetsItsStatusAndTheServerServesOn(string request, string status)
    {
        // Kestrel answers these before any endpoint runs, with an empty body (README: no hook for OpenAI's error object);
        // what matters is that it never crashes, never shows a stack trace, and the next request is served. As in the
        // chunked case, the server may close with bytes unread, and a reset can drop the answer before it is read.
        await using var server = await StartAsync(new EmbeddingServiceOptions());
        string answer = await RawAsync(server.Address, string.Format(System.Globalization.CultureInfo.InvariantCulture, request, new string('x', 40_000)));
        if (answer.Length > 0)
        {
            Assert.StartsWith($"HTTP/1.1 {status} ", answer);
            Assert.DoesNotContain("   at ", answer);
        }
        using var http = new HttpClient { BaseAddress = server.Address };
        var (ok, _) = await PostAsync(http, "{\"input\": \"a\", \"model\": \"m\"}");
        Assert.Equal(200, ok); // and it keeps serving
        Assert.DoesNotContain("code=\"500\"", await http.GetStringAsync("metrics"));
    }

    [Fact]
    public async Task ABodyCutShortByAClientThatLeftIsCountedAsAClientError()
    {
        // The client promises 100 bytes, sends 14 and hangs up: nobody hears the answer, but the server's metrics (and
        // log) must not count it as a server failure.
        await using var server = await StartAsync(new EmbeddingServiceOptions());
        using (var client = new System.Net.Sockets.TcpClient())
        {
            await client.ConnectAsync(server.Address.Host, server.Address.Port);
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(
                "POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"input\": \"a\"}"));
        }
        using var http = new HttpClient { BaseAddress = server.Address };
        string metrics = "";
        for (int i = 0; i < 1200 && !metrics.Contains("skald_requests_total{endpoint=\"embeddings\""); i++) // (a hang guard: 2 minutes)
        {
            await Task.Delay(100);
            metrics = await http.GetStringAsync("metrics");
        }
        // (400 when the server reads the short body, 499 when it sees the client gone first: either is the client's)
        Assert.Matches("skald_requests_total\\{endpoint=\"embeddings\",code=\"4\\d\\d\"\\} 1", metrics);
        Assert.DoesNotContain("code=\"500\"", metrics);
    }

    [Fact]
    public async Task ABodyThatStopsArrivingIs408NotAServerError()
    {
        // A slow (or stuck) client holds a connection and a request: after Kestrel's grace of 5 s below 240 bytes/s the
        // server answers 408 in OpenAI's error shape, counts it as the client's, and goes on serving.
        await using var server = await StartAsync(new EmbeddingServiceOptions());
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.Address.Host, server.Address.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"input\": "));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string head = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? "";
        Assert.StartsWith("HTTP/1.1 408 ", head);
        string rest = "";
        while (!rest.Contains("}}") && await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line) rest += line;
        var error = Error(System.Text.Json.JsonDocument.Parse(rest[rest.IndexOf('{')..(rest.LastIndexOf('}') + 1)]).RootElement);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("the request body could not be read", error.GetProperty("message").GetString());
        using var http = new HttpClient { BaseAddress = server.Address };
        Assert.Equal(200, (await PostAsync(http, "{\"input\": \"a\"}")).Status);
        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("skald_requests_total{endpoint=\"embeddings\",code=\"408\"} 1", metrics);
        Assert.DoesNotContain("code=\"500\"", metrics);
    }

    /// <summary>Sends <paramref name="request"/> as it is over a socket, ends the sending side, and reads the whole answer.</summary>
    private static async Task<string> RawAsync(Uri server, string request)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        try
        {
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (IOException)
        {
            return ""; // reset by the server before anything was read
        }
    }

    [Fact]
    public async Task InputsOverTheModelsLengthAre400UnlessTruncating()
    {
        string longText = string.Join(' ', Enumerable.Repeat("fjell", 200));
        var (status, body) = await PostAsync(fixture.Client, Json(new { input = new[] { "kort", longText }, model = "m" }));
        Assert.Equal(400, status);
        var error = Error(body);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("input[1]", error.GetProperty("message").GetString());
        var longIds = Enumerable.Repeat(5, 65).ToArray();
        (status, _) = await PostAsync(fixture.Client, Json(new { input = new[] { longIds }, model = "m" }));
        Assert.Equal(400, status);

        await using var truncating = await StartAsync(new EmbeddingServiceOptions { Truncate = true });
        using var client = new HttpClient { BaseAddress = truncating.Address };
        (status, body) = await PostAsync(client, Json(new { input = longText, model = "m" }));
        Assert.Equal(200, status);
        AssertClose(fixture.Reference.Encode(longText), Assert.Single(Embeddings(body)));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task CompressedBodiesAreReadAndBrokenOnesAre400(string encoding)
    {
        // a body sent with Content-Encoding is embedded as the same body sent plain; one that does not decode is a 400
        string json = Json(new { input = Texts[..3], model = "m" });
        var (plainStatus, plain) = await PostAsync(fixture.Client, json);
        Assert.Equal(200, plainStatus);
        byte[] Compress(byte[] data)
        {
            var compressed = new MemoryStream();
            using (Stream z = encoding switch
            {
                "gzip" => new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true),
                "deflate" => new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true),
                _ => new System.IO.Compression.BrotliStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true),
            })
                z.Write(data);
            return compressed.ToArray();
        }
        async Task<(int, string)> Send(byte[] bytes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content.Headers.ContentEncoding.Add(encoding);
            using var response = await fixture.Client.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var (status, body) = await Send(Compress(Encoding.UTF8.GetBytes(json)));
        Assert.True(status == 200, body);
        Assert.Equal(plain.GetProperty("data").GetRawText(), System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("data").GetRawText());

        (status, body) = await Send(Encoding.UTF8.GetBytes("this is not " + encoding + " data at all, only text"));
        Assert.Equal(400, status);
        Assert.Contains("could not be decompressed", Error(System.Text.Json.JsonDocument.Parse(body).RootElement).GetProperty("message").GetString());
        // a small body that decompresses past the server's limit (16 MB by default) is refused as a large one is
        (status, body) = await Send(Compress(Encoding.UTF8.GetBytes("{\"input\": \"" + new string(' ', 17 << 20) + "\", \"model\": \"m\"}")));
        Assert.Equal(413, status);
        Assert.Equal(200, (await PostAsync(fixture.Client, json)).Status); // still serving
    }

    [Fact]
    public async Task TooManyInputsAndTooLargeBodiesAreRefused()
    {
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxInputs = 4, MaxBodyBytes = 2000 });
        using var client = new HttpClient { BaseAddress = server.Address };
        var (status, body) = await PostAsync(client, Json(new { input = Texts[..5], model = "m" }));
        Assert.Equal(400, status);
        Assert.Equal("input", Error(body).GetProperty("param").GetString());
        // a client (MEAI's OpenAI generator sends every input in one request) is told what to do and which option it meets
        Assert.Equal("\"input\" has 5 items; at most 4 are allowed per request: send them in several requests (the server's limit is skald serve --max-inputs)",
            Error(body).GetProperty("message").GetString());
        (status, body) = await PostAsync(client, Json(new { input = new[] { new string('a', 3000) }, model = "m" }));
        Assert.Equal(413, status);
        Error(body);
        // A body sent without Content-Length (chunked) is cut off at the limit too.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Json(new { input = new string('b', 5000) })))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        using var response = await client.SendAsync(chunked);
        Assert.Equal(413, (int)response.StatusCode);
        // The server still answers.
        (status, _) = await PostAsync(client, Json(new { input = Texts[..2], model = "m" }));
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task AKeyIsRequiredWhenSet()
    {
        await using var server = await StartAsync(new EmbeddingServiceOptions { ApiKey = "s3cret-key" });
        using var client = new HttpClient { BaseAddress = server.Address };
        string json = Json(new { input = "hei", model = "m" });
        var (status, body) = await PostAsync(client, json);
        Assert.Equal(401, status);
        Assert.Equal("missing_api_key", Error(body).GetProperty("code").GetString());
        (status, body) = await PostAsync(client, json, key: "s3cret-kez");
        Assert.Equal(401, status);
        Assert.Equal("invalid_api_key", Error(body).GetProperty("code").GetString());
        (status, _) = await PostAsync(client, json, key: "s3cret");
        Assert.Equal(401, status);
        (status, _) = await PostAsync(client, json, key: "s3cret-key");
        Assert.Equal(200, status);
        using var models = await client.GetAsync("v1/models");
        Assert.Equal(401, (int)models.StatusCode);
        using var metrics = await client.GetAsync("metrics");
        Assert.Equal(401, (int)metrics.StatusCode);
        using var health = await client.GetAsync("health");
        Assert.Equal(200, (int)health.StatusCode);
        using var authorized = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        authorized.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-key");
        using var ok = await client.SendAsync(authorized);
        Assert.Equal(200, (int)ok.StatusCode);
    }
}
