using System.Runtime.InteropServices;
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
/// <c>StoppingAsync</c>) does not wait; nor does a second stop once the delay has passed. A second Ctrl+C or SIGTERM
/// ends the delay at once, as a second Ctrl+C stops other servers at once: the console lifetime takes every signal for
/// one more request to stop, which changes nothing once stopping, so this service counts SIGINT and SIGTERM itself,
/// from its start (a handler registered only when the delay began could miss a second signal sent just after the
/// first, before the host's stopping reached it).
/// </summary>
internal sealed class ShutdownDelay : IHostedLifecycleService, IDisposable
{
    private readonly TimeSpan delay;
    private readonly TimeProvider time;
    private readonly CancellationToken stopping;
    private readonly TaskCompletionSource secondSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration interrupt, terminate;
    private long signalled; // time's timestamp of ApplicationStopping; 0: not signalled
    private int signals;

    /// <summary>
    /// Waits <paramref name="delay"/> after <paramref name="lifetime"/>'s stopping signal, as <paramref name="time"/>
    /// tells time (the system's clock; a test's own, to end the delay when it says).
    /// </summary>
    public ShutdownDelay(IHostApplicationLifetime lifetime, TimeSpan delay, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(time);
        this.delay = delay;
        this.time = time;
        stopping = lifetime.ApplicationStopping;
        stopping.Register(Signalled);
        // counted only: whether a signal stops the process is the lifetime's to say (the console lifetime cancels the
        // default action of each and stops the host gracefully)
        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Counted);
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Counted);
    }

    private void Counted(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref signals) >= 2) secondSignal.TrySetResult();
    }

    private void Signalled() => Interlocked.CompareExchange(ref signalled, Math.Max(1, time.GetTimestamp()), 0);

    /// <inheritdoc/>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // The token's callbacks run one after another, the latest registered first: WaitForShutdownAsync's, which starts
        // the host's stopping on another thread, can bring it here before this one's has run. A token already cancelled
        // is the signal, given just now.
        if (stopping.IsCancellationRequested) Signalled();
        long at = Interlocked.Read(ref signalled);
        if (at == 0) return; // stopped directly, not asked to: at once
        var left = delay - time.GetElapsedTime(at);
        if (left <= TimeSpan.Zero) return;
        // the delay, unless a second signal (come or coming), the host's ShutdownTimeout or a caller's token ends it
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(Task.Delay(left, time, wait.Token), secondSignal.Task).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false); // the delay's timer, when the signal ended it
    }

    /// <summary>Stops counting signals.</summary>
    public void Dispose()
    {
        interrupt.Dispose();
        terminate.Dispose();
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
