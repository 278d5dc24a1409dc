using System.Net.Sockets;
using Skald.Retrieval.Remote;
using Skald.Tests;

namespace Skald.Retrieval.Tests;

/// <summary>
/// What <see cref="EndpointHandler"/> learns of a server's connections and how it sends accordingly, against servers on
/// 127.0.0.1 started here: a request is never sent into a connection the server closes after its answer (Python's
/// <c>http.server</c>), and requests to a server that keeps its connections still run at once and reuse them. The
/// handler's connections are made by the test, so the order of connections and answers that used to be left to load is
/// made certain. Each test runs twice: requests sent asynchronously (<c>HttpClient.PostAsync</c>, the handler's
/// <c>SendAsync</c>) and synchronously (<c>HttpClient.Send</c>, the handler's <c>Send</c>, which learns the same; each such
/// request on a thread of its own, so that a blocked send never waits for a pool thread under load).
/// </summary>
public sealed class EndpointHandlerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARequestWaitingForAConnectionIsNotSentIntoTheOneTheFirstAnswerLeavesClosing(bool synchronous)
    {
        // Two requests at once to a server that answers HTTP/1.0 and closes each connection a second after its answer.
        // The second connection is made only once an answer has come back: the request left waiting for it was handed
        // the first connection as it went back to the pool, was sent into it, and failed when the server closed it (a
        // counted retry, "connection closed before an answer", with nothing wrong on the user's side). Under load, a
        // slow second connect did the same to DataLlmEndpointTests and LlmEndpointFailureTests now and then.
        using var server = new ClosingChatServer { CloseDelayMs = 1000 };
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int connects = 0;
        using var handler = new EndpointHandler(async (context, cancel) =>
        {
            if (Interlocked.Increment(ref connects) > 1) await answered.Task.WaitAsync(Patience, cancel);
            return await Connect(context, cancel);
        });
        using var client = new HttpClient(handler);
        Task<string>[] sends = [Post(client, server.Url, synchronous), Post(client, server.Url, synchronous)];
        await Task.WhenAny(sends).WaitAsync(Patience);
        answered.SetResult();
        string[] outcomes = await Task.WhenAll(sends).WaitAsync(Patience);
        Assert.True(outcomes.All(o => o == "200"), $"{string.Join("; ", outcomes)} ({server.Requests} requests answered on {server.Connections} connections)");
        Assert.Equal(2, server.Requests);
        Assert.True(handler.ClosesConnections);
        Assert.Equal("200", await Post(client, server.Url, synchronous)); // and a later request on a connection of its own
        Assert.Equal(3, server.Connections);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestsToAServerThatKeepsItsConnectionsRunAtOnceAndReuseThem(bool synchronous)
    {
        // each round's answers are held until all its requests are in flight: a handler that sent them one at a time
        // (until the first answer, or after) would leave the round's first request waiting for the others
        const int N = 4;
        TaskCompletionSource[] rounds = [new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)];
        int waitedInVain = 0;
        using var server = new ClosingChatServer
        {
            KeepAlive = true,
            Holding = async n =>
            {
                if (n > 2 * N) return;
                var round = rounds[(n - 1) / N];
                if (n % N == 0) round.TrySetResult();
                try
                {
                    await round.Task.WaitAsync(Patience);
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref waitedInVain);
                }
            },
        };
        using var handler = new EndpointHandler(null);
        using var client = new HttpClient(handler);
        foreach (var round in rounds) // the first before the endpoint ever answered, the second after
        {
            string[] outcomes = await Task.WhenAll(Enumerable.Range(0, N).Select(_ => Post(client, server.Url, synchronous)));
            Assert.Equal(Enumerable.Repeat("200", N), outcomes);
        }
        Assert.Equal(0, waitedInVain);
        Assert.False(handler.ClosesConnections);
        int connections = server.Connections;
        Assert.Equal("200", await Post(client, server.Url, synchronous));
        Assert.Equal(connections, server.Connections); // a connection of the pool, kept alive
        Assert.Equal(2 * N + 1, server.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFirstRequestThatGotNoAnswerLeavesTheNextToFindOutHowTheServerAnswers(bool synchronous)
    {
        // the request sent to find out how the server keeps its connections fails before any answer (the connection is
        // reset while it is made): the next request finds out, so connections are pooled or not as the server needs
        using var server = new ClosingChatServer();
        int connects = 0;
        using var handler = new EndpointHandler(async (context, cancel) =>
        {
            if (Interlocked.Increment(ref connects) == 1) throw new SocketException((int)SocketError.ConnectionReset);
            return await Connect(context, cancel);
        });
        using var client = new HttpClient(handler);
        Assert.StartsWith("retried: ", await Post(client, server.Url, synchronous));
        Assert.False(handler.Answered);
        Assert.Equal("200", await Post(client, server.Url, synchronous));
        Assert.True(handler.Answered);
        Assert.True(handler.ClosesConnections);
    }

    private static async ValueTask<Stream> Connect(System.Net.Http.SocketsHttpConnectionContext context, CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A chat request, its answer read whole: "200" (or the status) when it was answered; "retried: " and the reason when
    /// it failed in a way the retry pipeline retries and counts (<see cref="OpenAiConnection.Retried"/>); the failure
    /// otherwise. Sent with <c>PostAsync</c>, or <paramref name="synchronous"/>ly with <c>Send</c> on a thread of its own.
    /// </summary>
    private static Task<string> Post(HttpClient client, string url, bool synchronous) => synchronous
        ? Task.Factory.StartNew(() => Answer(() =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{url}/chat/completions") { Content = Chat() };
            using var response = client.Send(request);
            using (var body = response.Content.ReadAsStream()) body.CopyTo(Stream.Null);
            return response.StatusCode;
        }), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
        : PostAsync(client, url);

    private static async Task<string> PostAsync(HttpClient client, string url)
    {
        try
        {
            using var content = Chat();
            using var response = await client.PostAsync($"{url}/chat/completions", content);
            await response.Content.ReadAsStringAsync();
            return Status(response.StatusCode);
        }
        catch (HttpRequestException e)
        {
            return Failure(e);
        }
    }

    private static string Answer(Func<System.Net.HttpStatusCode> send)
    {
        try
        {
            return Status(send());
        }
        catch (HttpRequestException e)
        {
            return Failure(e);
        }
    }

    private static StringContent Chat() => new("""{"model": "fake", "messages": [{"role": "user", "content": "Hei"}]}""", System.Text.Encoding.UTF8, "application/json");

    private static string Status(System.Net.HttpStatusCode status) => ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Failure(HttpRequestException e) =>
        OpenAiConnection.Retried(e) ? $"retried: {OpenAiConnection.RetryReason(e)}" : $"{e.GetType().Name}: {e.Message}";
}
