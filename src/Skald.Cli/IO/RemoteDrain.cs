using Skald.Retrieval.Remote;

namespace Skald.Cli.IO;

/// <summary>
/// Ctrl-C for a command that embeds with remote models (<c>openai:URL#MODEL</c>, a remote query adapter) and keeps
/// their vectors in a cache folder: while a remote model is embedding, the first Ctrl-C lets the request in flight
/// finish into the cache and sends no further one (<see cref="RemoteStop"/>, given to the clients through
/// <see cref="RemoteModels.Settings"/>); the command then writes no results and exits with 130, naming the cache, so the
/// same command run again asks only for the rest. A second Ctrl-C, or one while nothing remote is under way, ends the
/// process at once.
/// </summary>
internal sealed class RemoteDrain : IDisposable
{
    private readonly GracefulStop ctrlC;

    /// <summary>Takes over Ctrl-C (while a remote model embeds) until disposed; <paramref name="cache"/> is named on the way out.</summary>
    public RemoteDrain(string cache)
    {
        Cache = cache;
        RemoteStop? stop = null;
        ctrlC = new GracefulStop("skald: stopping: the request in flight finishes and goes to the cache (Ctrl-C again to quit at once)",
            () => stop?.Working == true);
        stop = new RemoteStop(ctrlC.Token);
        Stop = stop;
    }

    /// <summary>The stop to give the remote clients.</summary>
    public RemoteStop Stop { get; }

    /// <summary>The cache folder the vectors go to.</summary>
    public string Cache { get; }

    /// <summary>Whether Ctrl-C stopped the run.</summary>
    public bool Requested => ctrlC.Requested;

    /// <summary>The line to end an interrupted run with: what was not written (<paramref name="output"/>; null: stdout) and where the vectors are.</summary>
    public string Interrupted(string? output) =>
        $"skald: interrupted; {(output is null ? "no results written" : $"nothing written to {output}")}, and every embedding received is in the cache {Cache}: run the same command again to go on";

    /// <inheritdoc/>
    public void Dispose() => ctrlC.Dispose();
}
