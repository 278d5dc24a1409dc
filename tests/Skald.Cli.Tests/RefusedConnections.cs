using System.Diagnostics;
using System.Net.Sockets;

namespace Skald.Cli.Tests;

/// <summary>
/// Sees, in this process, an HTTP request to 127.0.0.1:<c>port</c> fail because the connection was refused: .NET's
/// HTTP handler reports every failed request to its diagnostic listener ("HttpHandlerDiagnosticListener", event
/// "System.Net.Http.Exception", with the request), which this subscribes to. For tests that run skald in-process
/// (<see cref="InProcessSkald"/>) and must know the client met a refused port before they give the port back.
/// </summary>
internal sealed class RefusedConnections : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly int port;
    private readonly TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private readonly List<IDisposable> subscriptions = [];
    private readonly IDisposable all;
    private int count;

    /// <summary>Starts watching for refused connections to <paramref name="port"/>.</summary>
    public RefusedConnections(int port)
    {
        this.port = port;
        all = DiagnosticListener.AllListeners.Subscribe(this);
    }

    /// <summary>Completes at the first refused connection to the port.</summary>
    public Task First => first.Task;

    /// <summary>Requests to the port whose connection was refused so far.</summary>
    public int Count => Volatile.Read(ref count);

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name != "HttpHandlerDiagnosticListener") return;
        lock (gate) subscriptions.Add(value.Subscribe(this, name => name == "System.Net.Http.Exception"));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != "System.Net.Http.Exception" || value.Value is not { } data) return;
        var request = data.GetType().GetProperty("Request")?.GetValue(data) as HttpRequestMessage;
        var exception = data.GetType().GetProperty("Exception")?.GetValue(data) as Exception;
        if (request?.RequestUri?.Port != port || !Refused(exception)) return;
        Interlocked.Increment(ref count);
        first.TrySetResult();
    }

    private static bool Refused(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
        return false;
    }

    void IObserver<DiagnosticListener>.OnCompleted() { }

    void IObserver<DiagnosticListener>.OnError(Exception error) { }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }

    /// <inheritdoc/>
    public void Dispose()
    {
        all.Dispose();
        lock (gate)
        {
            foreach (var s in subscriptions) s.Dispose();
            subscriptions.Clear();
        }
    }
}
