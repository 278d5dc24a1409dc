using System.ClientModel;
using System.Net.Sockets;
using Skald.Data.Generation;
using Skald.Data.Llm;
using Skald.Retrieval.Remote;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>
/// What a user meets when an LLM endpoint fails at the connection or HTTP level: a wrong address fails at once in one
/// line, a server that restarts mid-run is waited for, and the progress line counts only real retries and says what
/// they were for. Every server is on 127.0.0.1 and started by the test.
/// </summary>
public sealed class LlmEndpointFailureTests
{
    private static LlmSettings Settings(string url) => new()
    {
        Endpoint = new Uri(url), Model = "fake", QuestionsPerChunk = 3, Concurrency = 2, MaxRetries = 4,
        Timeout = TimeSpan.FromSeconds(60), RetryDelay = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task AServerThatClosesEachConnectionAfterItsAnswerCostsNoRetries()
    {
        // The journey's Python http.server answered HTTP/1.0 and closed each connection after its answer; .NET kept the
        // connection pooled, sent the next request into it as it closed, and "3 retries" were counted (and waited for)
        // against a server that answered every request it received. Under load it still happened now and then to the
        // second of the first two requests (in flight together): waiting for its own connection, it was handed the first
        // one's as that answer came back. EndpointHandlerTests makes that order certain; here the two go as they go.
        var docs = LlmTests.Documents();
        Assert.True(docs.Chunks.Count >= 4, $"{docs.Chunks.Count} chunks");
        using var server = new ClosingChatServer();
        var lines = new List<string>();
        string journal = Path.Combine(TestPaths.NewTempDir(), "j.jsonl");
        await LlmGenerator.GenerateAsync(docs, Settings(server.Url), new FilterOptions(), journal, lines.Add);
        Assert.Equal(docs.Chunks.Count, server.Requests);
        // each request on a connection of its own, none handed on to another request
        Assert.True(server.Connections == docs.Chunks.Count, $"{server.Connections} connections for {docs.Chunks.Count} requests");
        Assert.Contains($"{docs.Chunks.Count}/{docs.Chunks.Count} chunks, {docs.Chunks.Count} requests, no retries, ETA", lines[^1]);
        Assert.Equal(docs.Chunks.Count, File.ReadAllLines(journal).Length);
    }

    [Fact]
    public async Task TheProgressLineSaysWhatTheRetriesWereFor()
    {
        var docs = LlmTests.Documents();
        int n = docs.Chunks.Count;
        string refused = docs.Chunks[0].Text;
        using var server = new FakeChatServer((p, k) => k == 1 ? Reply.TooMany : Reply.Good,
            answer: p => p == refused ? "Beklager, det kan jeg ikke." : "1. Hva koster kaffen i kantinen?\n2. Når åpner kantinen om morgenen?");
        var lines = new List<string>();
        await LlmGenerator.GenerateAsync(docs, Settings(server.Url) with { RetryDelay = TimeSpan.FromMilliseconds(10) }, new FilterOptions(),
            Path.Combine(TestPaths.NewTempDir(), "j.jsonl"), lines.Add);
        // every chunk: one 429; the passage without questions is asked twice more (then kept as it is)
        Assert.Contains($"{n}/{n} chunks, {2 * n + 2} requests, {n + 2} retries ({n} HTTP 429, 2 no usable answer), ETA", lines[^1]);
    }

    [Fact]
    public async Task ARefusedConnectionOnTheFirstRequestIsOneLineAtOnce()
    {
        // A typo'd port: every attempt was refused and retried with backoff for 1 min 32 s before the line came.
        using var refused = new RefusedPort();
        int port = refused.Port;
        var client = new LlmQuestionClient(Settings($"http://127.0.0.1:{port}/v1") with { RetryDelay = TimeSpan.FromSeconds(1) });
        var e = await Assert.ThrowsAsync<DataException>(() => client.CompleteAsync("s", "u", "a text", _ => true, default));
        Assert.Equal($"http://127.0.0.1:{port}/v1: connection refused: nothing listens on 127.0.0.1:{port}; is the server running, and the port right?", e.Message);
        Assert.Equal(0, client.Retries);
        Assert.Equal(1, client.Requests);

        // the translator goes through the same client, and the same rule
        var t = await Assert.ThrowsAsync<DataException>(() => LlmTranslator.TranslateAsync(["Hva heter du?"], "nb", "nn",
            Settings($"http://127.0.0.1:{port}/v1") with { RetryDelay = TimeSpan.FromSeconds(1) }, Path.Combine(TestPaths.NewTempDir(), "t.jsonl")));
        Assert.Contains("connection refused", t.Message);
    }

    [Fact]
    public async Task ARefusedConnectionAfterTheEndpointAnsweredIsRetriedUntilTheServerIsBack()
    {
        using var server = new ClosingChatServer();
        var client = new LlmQuestionClient(Settings(server.Url) with { MaxRetries = 8 });
        Assert.Equal(ClosingChatServer.Answer, await client.CompleteAsync("s", "u", "a text", _ => true, default));
        server.StopListening(); // the server restarts
        var second = client.CompleteAsync("s", "u", "a text", _ => true, default);
        while (client.Retries == 0 && !second.IsCompleted) await Task.Delay(20); // until the refused connection is counted
        server.Listen();
        Assert.Equal(ClosingChatServer.Answer, await second);
        Assert.True(client.Retries >= 1);
        Assert.Equal($"{Tokenizers.Serialization.Counted.Of(client.Retries, "retry", "retries")} ({client.Retries} connection refused)", client.RetryCounts.ToString());
    }

    [Fact]
    public async Task AnHttpsUrlForAServerWithoutTlsIsOneLineAtOnce()
    {
        // a plain HTTP server answers the TLS hello with a 400 of its own and closes
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var serve = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var c = await listener.AcceptTcpClientAsync(stop.Token);
                    await c.GetStream().WriteAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
            }
        });
        try
        {
            var client = new LlmQuestionClient(Settings($"https://127.0.0.1:{port}/v1"));
            var e = await Assert.ThrowsAsync<DataException>(() => client.CompleteAsync("s", "u", "a text", _ => true, default));
            Assert.StartsWith($"https://127.0.0.1:{port}/v1: the TLS handshake with 127.0.0.1:{port} failed (", e.Message);
            Assert.EndsWith("); is the scheme right (http:// for a server without TLS)?", e.Message);
            Assert.Equal(0, client.Retries);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await serve;
        }
    }

    [Fact]
    public void OneRuleDecidesForEveryClientWhatIsRetried()
    {
        var endpoint = new Uri("http://llm.example.invalid:8000/v1/chat/completions");
        var dns = new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (llm.example.invalid:8000)",
            new SocketException((int)SocketError.HostNotFound));
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)", new SocketException((int)SocketError.ConnectionRefused));
        var ended = new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
        Assert.Equal("the host name 'llm.example.invalid' does not resolve; is it spelled right?", OpenAiConnection.Unreachable(dns, endpoint));
        Assert.Equal("connection refused: nothing listens on llm.example.invalid:8000; is the server running, and the port right?",
            OpenAiConnection.Unreachable(refused, endpoint));
        Assert.Null(OpenAiConnection.Unreachable(ended, endpoint)); // a connection that broke: the server is there
        var tls = new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.",
            new System.Security.Authentication.AuthenticationException("Cannot determine the frame size or a corrupted frame was received."));
        Assert.Equal("the TLS handshake with llm.example.invalid:8000 failed (Cannot determine the frame size or a corrupted frame was received.); " +
            "is the scheme right (http:// for a server without TLS)?", OpenAiConnection.Unreachable(tls, endpoint));

        // as the SDK hands them on (a ClientResultException of status 0 around the HttpRequestException)
        static ClientResultException Sdk(HttpRequestException h) => new(h.Message, null, h);
        Assert.True(OpenAiConnection.Retried(Sdk(refused))); // after the endpoint answered: a server restarting
        Assert.False(OpenAiConnection.Retried(Sdk(new UnreachableEndpointException("connection refused", refused)))); // before: a wrong address
        Assert.False(OpenAiConnection.Retried(Sdk(new UnreachableEndpointException("no such host", dns))));
        Assert.True(OpenAiConnection.Retried(Sdk(ended)));
        Assert.Equal("connection closed before an answer", OpenAiConnection.RetryReason(Sdk(ended)));
        Assert.Equal("host name not resolved", OpenAiConnection.RetryReason(Sdk(dns)));

        // the pipeline itself: one attempt for an unreachable endpoint, and the retries for a refused connection later
        var tally = new RetryTally();
        var pipeline = OpenAiConnection.Pipeline(3, TimeSpan.Zero, TimeSpan.FromSeconds(30), tally);
        int attempts = 0;
        Assert.Throws<ClientResultException>(() => pipeline.Execute(() => { attempts++; throw Sdk(new UnreachableEndpointException("x", refused)); }));
        Assert.Equal(1, attempts);
        Assert.Throws<ClientResultException>(() => pipeline.Execute(() => { attempts++; throw Sdk(refused); }));
        Assert.Equal(5, attempts);
        Assert.Equal("3 retries (3 connection refused)", tally.ToString());
    }

    [Theory]
    [InlineData("NotFound", "HTTP 404 for {0}/chat/completions: nothing there, so the base URL is wrong (give the part before /chat/completions, such as http://127.0.0.1:11434/v1)")]
    [InlineData("UnknownModel", "HTTP 404 for {0}/chat/completions: the server says \"The model `fake` does not exist.\"; is the model name right, and the base URL the part before /chat/completions?")]
    [InlineData("Unauthorized", "the API key was refused (HTTP 401)")]
    public async Task AWrongPathOrKeyIsOneLineAndNotRetried(string replyName, string expected)
    {
        var reply = Enum.Parse<Reply>(replyName);
        using var server = new FakeChatServer((_, _) => reply);
        var client = new LlmQuestionClient(Settings(server.Url));
        var e = await Assert.ThrowsAsync<DataException>(() => client.CompleteAsync("s", "Tekst:\nu", "a text", _ => true, default));
        Assert.Equal($"{server.Url}: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, server.Url), e.Message);
        Assert.Single(server.Requests);
    }
}
