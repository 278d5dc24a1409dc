using System.Diagnostics;
using Microsoft.Extensions.Hosting;

namespace Skald.Serving;

/// <summary>
/// <see cref="EmbeddingServiceOptions.ShutdownDelay"/> for <see cref="EmbeddingServer"/>: once the host is asked to stop
/// (Ctrl+C, SIGTERM, <see cref="EmbeddingServer.Stop"/>: <see cref="IHostApplicationLifetime.ApplicationStopping"/>,
/// from when <c>/health</c> answers 503 "draining"), the host's stopping waits in <see cref="StoppingAsync"/> until the
/// delay has passed since that signal, before any service stops: Kestrel keeps listening and serving meanwhile, so a load
/// balancer that polls <c>/health</c> takes the server out before its connections are refused (Kubernetes' preStop
/// sleep, done by the server). A stop without that signal first (<see cref="EmbeddingServer.DisposeAsync"/> calling the
/// host's <c>StopAsync</c> directly, which signals <c>ApplicationStopping</c> only after the lifecycle services'
/// <c>StoppingAsync</c>) does not wait; nor does a second stop once the delay has passed.
/// </summary>
internal sealed class ShutdownDelay : IHostedLifecycleService
{
    private readonly TimeSpan delay;
    private readonly CancellationToken stopping;
    private long signalled; // Stopwatch timestamp of ApplicationStopping; 0: not signalled

    /// <summary>Waits <paramref name="delay"/> after <paramref name="lifetime"/>'s stopping signal.</summary>
    public ShutdownDelay(IHostApplicationLifetime lifetime, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        this.delay = delay;
        stopping = lifetime.ApplicationStopping;
        stopping.Register(Signalled);
    }

    private void Signalled() => Interlocked.CompareExchange(ref signalled, Stopwatch.GetTimestamp(), 0);

    /// <inheritdoc/>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // The token's callbacks run one after another, the latest registered first: WaitForShutdownAsync's, which starts
        // the host's stopping on another thread, can bring it here before this one's has run. A token already cancelled
        // is the signal, given just now.
        if (stopping.IsCancellationRequested) Signalled();
        long at = Interlocked.Read(ref signalled);
        if (at == 0) return; // stopped directly, not asked to: at once
        var left = delay - Stopwatch.GetElapsedTime(at);
        if (left <= TimeSpan.Zero) return;
        try
        {
            await Task.Delay(left, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // the host's ShutdownTimeout (or a caller's token) ended the wait: stop now
        }
    }

    /// <inheritdoc/>
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
