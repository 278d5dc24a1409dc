using Skald.Retrieval.Remote;

namespace Skald.Cli.IO;

/// <summary>
/// Ctrl-C for a command that embeds with remote models (<c>openai:URL#MODEL</c>, a remote query adapter) and keeps
/// their vectors in a cache folder: while a remote model is embedding, the first Ctrl-C lets the request in flight
/// finish into the cache and sends no further one (<see cref="RemoteStop"/>, given to the clients through
/// <see cref="RemoteModels.Settings"/>); the command then writes no results and exits with 130, naming the cache, so the
/// same command run again asks only for the rest. A second Ctrl-C, or one while nothing remote is under way, ends the
/// process at once. Without a cache there is nowhere to keep a reply: Ctrl-C while a remote model embeds ends the
/// process at once too (exit 130), after one line saying that nothing was saved and how to keep the embeddings.
/// </summary>
internal sealed class RemoteDrain : IDisposable
{
    private readonly GracefulStop? ctrlC; // null without a cache
    private readonly string nothingSaved;

    /// <summary>
    /// Takes over Ctrl-C (while a remote model embeds) until disposed; <paramref name="cache"/> is named on the way out.
    /// Without one (null), a Ctrl-C while a remote model embeds says nothing was saved and that <paramref name="keep"/>
    /// (the command's way to give it a cache) keeps the embeddings, and the process ends.
    /// </summary>
    public RemoteDrain(string? cache, string keep = "--cache DIR")
    {
        Cache = cache;
        nothingSaved = "skald: interrupted; nothing was saved: the embeddings received so far are lost, as there is no cache to keep them in " +
            $"(with {keep}, Ctrl-C lets the request in flight finish into the cache and the same command run again goes on from there)";
        if (cache is null)
        {
            Stop = new RemoteStop(CancellationToken.None);
            Console.CancelKeyPress += OnUncachedCtrlC;
            return;
        }
        RemoteStop? stop = null;
        ctrlC = new GracefulStop("skald: stopping: the request in flight finishes and goes to the cache (Ctrl-C again to quit at once)",
            () => stop?.Working == true);
        stop = new RemoteStop(ctrlC.Token);
        Stop = stop;
    }

    /// <summary>The stop to give the remote clients.</summary>
    public RemoteStop Stop { get; }

    /// <summary>The cache folder the vectors go to (null: none).</summary>
    public string? Cache { get; }

    /// <summary>Whether Ctrl-C stopped the run (never without a cache: it ends the process).</summary>
    public bool Requested => ctrlC?.Requested == true;

    /// <summary>The line to end an interrupted run with: what was not written (<paramref name="output"/>; null: stdout) and where the vectors are.</summary>
    public string Interrupted(string? output) =>
        $"skald: interrupted; {(output is null ? "no results written" : $"nothing written to {output}")}, and every embedding received is in the cache {Cache}: run the same command again to go on";

    /// <inheritdoc/>
    public void Dispose()
    {
        if (ctrlC is null) Console.CancelKeyPress -= OnUncachedCtrlC;
        else ctrlC.Dispose();
    }

    // Without a cache, while a remote model embeds: one line, and the process ends with 130 (exited here, not left to
    // the runtime, which re-raises SIGINT under the disposition the process inherited: ignored, the run would go on).
    // At any other moment the runtime ends it as usual.
    private void OnUncachedCtrlC(object? sender, ConsoleCancelEventArgs e)
    {
        if (!Stop.Working) return;
        e.Cancel = true;
        Console.Error.WriteLine(nothingSaved);
        Environment.Exit(130);
    }
}
