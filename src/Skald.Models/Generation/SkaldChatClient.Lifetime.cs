using Skald.Tensors;

namespace Skald.Models.Generation;

/// <summary>
/// Who disposes the <see cref="TextGenerator"/> under a <see cref="SkaldChatClient"/>, as Microsoft.Extensions.AI's
/// clients treat what they are given: the client when it loaded the generator (<see cref="Load"/>) or was handed it
/// with <see cref="OwnsGenerator"/>, the caller otherwise.
/// </summary>
public sealed partial class SkaldChatClient
{
    private int disposed;
    private int admitted; // requests taken and not yet answered (refused, cancelled or done)

    /// <summary>
    /// Whether disposing this client disposes <see cref="Generator"/> too (default false: a generator passed to the
    /// constructor stays the caller's; true for one <see cref="Load"/> loaded, or one handed over).
    /// </summary>
    public bool OwnsGenerator { get; init; }

    /// <summary>
    /// Loads <paramref name="folder"/> (<see cref="TextGenerator.Load"/>, with its <paramref name="adapters"/> and
    /// <paramref name="precision"/>) and answers with it, owning it (<see cref="OwnsGenerator"/>): disposing the client
    /// disposes the generator once the requests it took are answered. A DI container that made the client disposes both:
    /// <c>services.AddChatClient(_ =&gt; SkaldChatClient.Load("models/my-sft-model"))</c>.
    /// </summary>
    public static SkaldChatClient Load(string folder, IReadOnlyList<string>? adapters = null,
        WeightPrecision precision = WeightPrecision.Float32, string? modelId = null) =>
        new(TextGenerator.Load(folder, adapters, precision), modelId) { OwnsGenerator = true };

    /// <summary>
    /// Refuses requests from now on (<see cref="ObjectDisposedException"/>); those already taken are answered. When the
    /// client owns its generator (<see cref="OwnsGenerator"/>) the generator is disposed as soon as they are (at once
    /// when none is left); otherwise it is the caller's and stays usable. Disposing twice does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (OwnsGenerator && Volatile.Read(ref admitted) == 0) Generator.Dispose();
    }

    /// <summary>
    /// Takes a request: <see cref="ObjectDisposedException"/> once disposed, else <paramref name="start"/> prepares and
    /// queues it, and it counts as taken until its task ends (or <paramref name="start"/> throws).
    /// </summary>
    private Task<GenerationResult> Admit(Func<Task<GenerationResult>> start)
    {
        Enter();
        Task<GenerationResult> run;
        try
        {
            run = start();
        }
        catch
        {
            Leave();
            throw;
        }
        _ = run.ContinueWith(_ => Leave(), TaskScheduler.Default);
        return run;
    }

    /// <summary>Takes a request: <see cref="ObjectDisposedException"/> once disposed, else it counts until <see cref="Leave"/>.</summary>
    private void Enter()
    {
        Interlocked.Increment(ref admitted);
        if (Volatile.Read(ref disposed) == 0) return;
        Leave();
        throw new ObjectDisposedException(GetType().FullName);
    }

    /// <summary>A request is answered (or refused); the last one after <see cref="Dispose"/> disposes an owned generator.</summary>
    private void Leave()
    {
        if (Interlocked.Decrement(ref admitted) == 0 && Volatile.Read(ref disposed) != 0 && OwnsGenerator) Generator.Dispose();
    }
}
