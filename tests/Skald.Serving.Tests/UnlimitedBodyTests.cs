using System.Text;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// A host app that sets no body limit (<see cref="EmbeddingServiceOptions.MaxBodyBytes"/> = long.MaxValue) still
/// serves: the limit is the most one array holds (<see cref="Array.MaxLength"/>), so the server's own cap is set to a
/// number, not to one past long.MaxValue, and a body declared larger than that is a 413 at once.
/// </summary>
public sealed class UnlimitedBodyTests
{
    [Fact]
    public async Task NoBodyLimitServesAndABodyLargerThanAnArrayIs413()
    {
        await using var server = await StartAsync(new EmbeddingServiceOptions { MaxBodyBytes = long.MaxValue });
        using var client = new HttpClient { BaseAddress = server.Address };
        var (status, body) = await PostAsync(client, "{\"input\": \"Hei\"}");
        Assert.True(status == 200, body.ToString());

        // a Content-Length past Array.MaxLength, and only its first bytes sent: answered without waiting for the rest
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(server.Address.Host, server.Address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {(long)Array.MaxLength + 1}\r\n\r\n{{\"input\": "));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string head = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? "";
        Assert.StartsWith("HTTP/1.1 413 ", head);
        Assert.Equal(200, (await PostAsync(client, "{\"input\": \"Hei\"}")).Status);
    }
}
