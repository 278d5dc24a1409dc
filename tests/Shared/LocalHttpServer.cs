using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Skald.Tests;

/// <summary>
/// The part every fake HTTP server of the tests shares: an <see cref="HttpListener"/> on 127.0.0.1 only, on a free port,
/// an accept loop that hands each request to <see cref="HandleAsync"/> on the thread pool (so slow answers overlap), and
/// disposal that stops the listener and waits for the loop. A request whose client went away, or that arrives while the
/// server stops, ends quietly. Subclasses keep only their own request handling.
/// </summary>
internal abstract class LocalHttpServer : IDisposable
{
    /// <summary>The fewest thread-pool threads the tests' servers get at once (see the static constructor).</summary>
    public const int PoolThreads = 64;

    private readonly HttpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    /// <summary>
    /// Lets the thread pool start <see cref="PoolThreads"/> threads without waiting. Handlers block a pool thread on
    /// purpose (a storage that hangs 9 s, a gate held up to 15 s, a slow read), and servers of tests running in parallel
    /// share the pool; at the pool's default minimum (one thread per core: 2 on CI) the pool then grows by about two
    /// threads a second, so a server's accept and its next answer wait behind the blocked ones and a client's 3 s
    /// timeout fires before its request is even read ("cannot reach ... (timed out)" in a test expecting a stall).
    /// </summary>
    static LocalHttpServer()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        if (workers < PoolThreads) ThreadPool.SetMinThreads(PoolThreads, io);
    }

    /// <summary>
    /// Starts listening on a free port of 127.0.0.1 (another port when a server of a test running in parallel took the
    /// one found free before this one could bind it).
    /// </summary>
    protected LocalHttpServer()
    {
        for (int attempt = 0; ; attempt++)
        {
            Port = FreePort();
            Endpoint = $"http://127.0.0.1:{Port}";
            listener = new HttpListener();
            listener.Prefixes.Add(Endpoint + "/");
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                listener.Close();
            }
        }
        loop = Task.Run(Serve);
    }

    /// <summary>The port listened on.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>, without a trailing slash.</summary>
    public string Endpoint { get; }

    /// <summary>A port on 127.0.0.1 that nothing listens on (also for "no network").</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Answers one request (and closes or aborts its response).</summary>
    protected abstract Task HandleAsync(HttpListenerContext ctx);

    /// <summary>Writes <paramref name="body"/> as UTF-8 with its length, then closes the response.</summary>
    protected static Task WriteAsync(HttpListenerResponse res, string body) => WriteAsync(res, Encoding.UTF8.GetBytes(body));

    /// <summary>Sets the status, writes <paramref name="body"/> as UTF-8 with its length, then closes the response.</summary>
    protected static Task WriteAsync(HttpListenerResponse res, int status, string body)
    {
        res.StatusCode = status;
        return WriteAsync(res, body);
    }

    /// <summary>Cancelled when the server stops: what a reply that never comes waits on.</summary>
    protected CancellationToken Stopping => stop.Token;

    /// <summary>The <c>Retry-After</c> of a 429 answer, in seconds (default 0: retry at once).</summary>
    public int RetryAfterSeconds { get; set; }

    /// <summary>An OpenAI-style rate-limit answer: 429 with <c>Retry-After: </c><see cref="RetryAfterSeconds"/>.</summary>
    protected Task TooManyRequestsAsync(HttpListenerResponse res)
    {
        res.AddHeader("Retry-After", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return WriteAsync(res, 429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}");
    }

    /// <summary>An OpenAI-style server error: 500.</summary>
    protected static Task ServerErrorAsync(HttpListenerResponse res) => WriteAsync(res, 500, "{\"error\":{\"message\":\"boom\"}}");

    /// <summary>Writes <paramref name="body"/> with its length, then closes the response.</summary>
    protected static async Task WriteAsync(HttpListenerResponse res, byte[] body)
    {
        res.ContentLength64 = body.Length;
        await res.OutputStream.WriteAsync(body);
        res.Close();
    }

    private async Task Serve()
    {
        while (!stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await listener.GetContextAsync();
            }
            catch (Exception e) when (stop.IsCancellationRequested || !listener.IsListening
                || e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Dispatch(ctx));
        }
    }

    private async Task Dispatch(HttpListenerContext ctx)
    {
        try
        {
            await HandleAsync(ctx);
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // the client went away
        }
    }

    /// <summary>Stops the listener and waits (up to 5 s) for the accept loop to end.</summary>
    /// <remarks>
    /// Close alone: on Linux the managed HttpListener's Stop and Close each remove the listener's prefixes, and the
    /// second removal looks its endpoint up again, binding the port anew when Stop already released it, which fails
    /// with "Address already in use" once another test's server has taken that port.
    /// </remarks>
    public void Dispose()
    {
        stop.Cancel();
        try
        {
            listener.Close();
        }
        catch (HttpListenerException)
        {
            // the port went to another listener while this one closed; nothing of this server is left to release
        }
        try
        {
            loop.Wait(5000);
        }
        catch (AggregateException)
        {
        }
        stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
