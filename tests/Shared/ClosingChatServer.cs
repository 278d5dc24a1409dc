using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// A chat-completions server on 127.0.0.1 that speaks as Python's <c>http.server</c> does by default (what a user's
/// quick fake endpoint is): every answer is HTTP/1.0 without <c>Connection: keep-alive</c>, and the connection is closed
/// after it, <see cref="CloseDelayMs"/> later, without reading anything more from it. A client that keeps such a
/// connection for its next request sends that request into a connection about to close. Every good answer is
/// <see cref="Answer"/>'s numbered questions. <see cref="StopListening"/> and <see cref="Listen"/> take the port away
/// and give it back (a server restarting: connections are refused meanwhile). With <see cref="KeepAlive"/> it is the other
/// kind of server: HTTP/1.1, each connection kept for the client's next request (until the client says
/// <c>Connection: close</c> or goes away).
/// </summary>
internal sealed class ClosingChatServer : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Lock gate = new();
    private TcpListener? listener;
    private Task? loop;
    private int connections, requests;

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    public ClosingChatServer()
    {
        Port = LocalHttpServer.FreePort();
        Listen();
    }

    /// <summary>The port listened on.</summary>
    public int Port { get; }

    /// <summary>Base URL to give the client.</summary>
    public string Url => $"http://127.0.0.1:{Port}/v1";

    /// <summary>How long after its answer a connection is closed (the moment a client may take it for its next request).</summary>
    public int CloseDelayMs { get; init; } = 300;

    /// <summary>The reply's text: three numbered Bokmål questions.</summary>
    public static string Answer => "1. Hva koster kaffen i kantinen?\n2. Når åpner kantinen om morgenen?\n3. Hvem fyller på kaffebønnene?";

    /// <summary>Called with each request's number (1 the first) before it is answered: a test's hook to take the port
    /// away (<see cref="StopListening"/>) between two requests, with no race against the client's next connection.</summary>
    public Action<int>? BeforeAnswer { get; init; }

    /// <summary>Called with each request's number (1 the first) before it is answered, and awaited: a test's hook to hold
    /// answers back (until several requests are in flight at once, say).</summary>
    public Func<int, Task>? Holding { get; init; }

    /// <summary>Answers HTTP/1.1 and keeps each connection for the next request, as uvicorn, vLLM or llama.cpp's server
    /// do, instead of closing it (<see cref="CloseDelayMs"/> is then unused).</summary>
    public bool KeepAlive { get; init; }

    /// <summary>Connections accepted.</summary>
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Requests read whole and answered.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Stops accepting: a connection to the port is refused until <see cref="Listen"/>.</summary>
    public void StopListening()
    {
        lock (gate)
        {
            listener?.Stop();
            listener = null;
        }
        loop?.Wait(5000);
    }

    /// <summary>Listens on <see cref="Port"/> (again).</summary>
    public void Listen()
    {
        lock (gate)
        {
            var l = new TcpListener(IPAddress.Loopback, Port);
            l.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            l.Start();
            listener = l;
            loop = Task.Run(() => Accept(l));
        }
    }

    private async Task Accept(TcpListener l)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await l.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }
            Interlocked.Increment(ref connections);
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            while (await ReadRequest(stream) is { } request)
            {
                int n = Interlocked.Increment(ref requests); // (not inside ?.Invoke: without a hook it would not run)
                BeforeAnswer?.Invoke(n);
                if (Holding is { } hold) await hold(n);
                await AnswerAsync(stream);
                if (!KeepAlive)
                {
                    await Task.Delay(CloseDelayMs, stop.Token); // then closed, whatever the client sent meanwhile
                    return;
                }
                if (request.Close) return;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away, or the server stops
        }
    }

    /// <summary>Writes one good answer, as the server's kind answers (HTTP/1.0 without keep-alive, or HTTP/1.1).</summary>
    private async Task AnswerAsync(NetworkStream stream)
    {
        string reply = JsonSerializer.Serialize(new
        {
            id = "x", @object = "chat.completion", created = 0, model = "fake",
            choices = new[] { new { index = 0, message = new { role = "assistant", content = Answer }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
        });
        byte[] bytes = Encoding.UTF8.GetBytes(reply);
        string head = (KeepAlive ? "HTTP/1.1 200 OK\r\nServer: uvicorn\r\n" : "HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11\r\n") +
            $"Content-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(bytes).ToArray(), stop.Token);
        await stream.FlushAsync(stop.Token);
    }

    /// <summary>One request's body and whether it says <c>Connection: close</c>, or null when the connection ended
    /// before a whole request.</summary>
    private async Task<(string Body, bool Close)?> ReadRequest(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfBlankLine(buffer)) < 0)
        {
            int n = await stream.ReadAsync(chunk, stop.Token);
            if (n == 0) return null;
            buffer.AddRange(chunk.AsSpan(0, n));
        }
        string head = Encoding.ASCII.GetString(buffer.GetRange(0, headerEnd).ToArray());
        int length = head.Split("\r\n").Where(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(h => int.Parse(h["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        while (buffer.Count < headerEnd + 4 + length)
        {
            int n = await stream.ReadAsync(chunk, stop.Token);
            if (n == 0) return null;
            buffer.AddRange(chunk.AsSpan(0, n));
        }
        bool close = head.Split("\r\n").Any(h => h.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)
            && h["Connection:".Length..].Contains("close", StringComparison.OrdinalIgnoreCase));
        return (Encoding.UTF8.GetString(buffer.GetRange(headerEnd + 4, length).ToArray()), close);
    }

    private static int IndexOfBlankLine(List<byte> b)
    {
        for (int i = 0; i + 3 < b.Count; i++)
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
        return -1;
    }

    /// <summary>Stops the server.</summary>
    public void Dispose()
    {
        stop.Cancel();
        StopListening();
        stop.Dispose();
    }
}
