using Skald.Cli.IO;

namespace Skald.Cli.Pipeline;

/// <summary>
/// Ctrl-C (SIGINT) while a <c>skald pipeline</c> stage runs that does not take it over itself (every stage but the LLM
/// ones, whose <see cref="GracefulStop"/> finishes the requests in flight): one line naming the stage interrupted and
/// saying that the same command run again resumes there, then the process ends with 130, as SIGINT's exit. Before, the
/// run ended without a word on where it stopped.
/// </summary>
internal sealed class StageInterrupt : IDisposable
{
    private volatile string? line;

    /// <summary>Takes over Ctrl-C until disposed (silent until <see cref="Enter"/> names a stage).</summary>
    public StageInterrupt() => Console.CancelKeyPress += OnCancelKeyPress;

    /// <summary>
    /// The stage now running: <paramref name="name"/>, number <paramref name="number"/> of <paramref name="count"/>, of
    /// <paramref name="type"/>; <paramref name="checkpoints"/>, the folder a train or mlm stage resumes from (null for others).
    /// </summary>
    public void Enter(string name, int number, int count, string type, string? checkpoints) =>
        line = $"skald: interrupted in stage {name} ({number}/{count}, {type}); run the same command again to resume: the stages finished are kept" +
               (checkpoints is null ? "" : $" and this one goes on from its last checkpoint in {checkpoints}, if it saved one");

    /// <inheritdoc/>
    public void Dispose() => Console.CancelKeyPress -= OnCancelKeyPress;

    // Exited here, not left to the runtime, which re-raises SIGINT under the disposition the process inherited (as
    // RemoteDrain does); a Ctrl-C a stage's GracefulStop takes is left to it.
    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (line is not { } said || GracefulStop.Takes()) return;
        e.Cancel = true;
        Console.Error.WriteLine(said);
        Environment.Exit(130);
    }
}
