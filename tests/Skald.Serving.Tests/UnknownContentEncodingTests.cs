using System.Text;
using System.Text.Json;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A request body with a Content-Encoding the server does not decode (zstd, compress, several stacked) is a 415 naming
/// the encoding, with the ones it decodes in <c>Accept-Encoding</c>, on every endpoint that reads a body; it was read as
/// plain JSON (answered as if not encoded, or refused as "not valid JSON" when it was compressed). "identity" is no
/// encoding and is read as it is.
/// </summary>
public sealed class UnknownContentEncodingTests(FullServer server) : IClassFixture<FullServer>
{
    private static readonly Dictionary<string, string> Bodies = new()
    {
        ["v1/embeddings"] = "{\"input\": \"Hei\", \"model\": \"m\"}",
        ["v1/chat/completions"] = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hei\"}], \"max_tokens\": 2}",
        ["v1/completions"] = "{\"prompt\": \"Hei\", \"max_tokens\": 2}",
        ["v1/search"] = "{\"query\": \"Hei\"}",
        ["v1/rerank"] = "{\"query\": \"Hei\", \"documents\": [\"Hallo\"]}",
    };

    [Theory]
    [InlineData("v1/embeddings", "zstd")]
    [InlineData("v1/chat/completions", "zstd")]
    [InlineData("v1/completions", "compress")]
    [InlineData("v1/search", "x-unknown")]
    [InlineData("v1/rerank", "zstd")]
    [InlineData("v1/chat/completions", "gzip, br")] // stacked: the decompression takes one encoding only
    public async Task ABodyInAnEncodingNotDecodedIsA415NamingIt(string path, string encoding)
    {
        using var response = await Send(path, encoding);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 415, text);
        var error = Error(JsonDocument.Parse(text).RootElement);
        Assert.Contains($"Content-Encoding \"{encoding}\"", error.GetProperty("message").GetString());
        Assert.Equal("unsupported_content_encoding", error.GetProperty("code").GetString());
        Assert.Equal("gzip, deflate, br", string.Join(", ", response.Headers.GetValues("Accept-Encoding")));
    }

    [Theory]
    [InlineData("v1/embeddings")]
    [InlineData("v1/chat/completions")]
    public async Task IdentityIsNoEncoding(string path)
    {
        using var response = await Send(path, "identity");
        Assert.True((int)response.StatusCode == 200, await response.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> Send(string path, string encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(Bodies[path], Encoding.UTF8, "application/json") };
        request.Content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        request.Headers.Authorization = new("Bearer", FullServer.Key);
        return await server.Client.SendAsync(request);
    }
}
