namespace Skald.Tensors.Autograd;

/// <summary>
/// A pass begun by <see cref="Tape.Pass"/> that a cancellation token may stop between layers: disposing it clears the
/// tape's <see cref="Tape.Cancellation"/> (the pass's activations stay until the tape is reset). A struct: no allocation.
/// </summary>
public readonly struct TapePass : IDisposable
{
    private readonly Tape? tape;

    internal TapePass(Tape tape) => this.tape = tape;

    /// <summary>Clears the tape's <see cref="Tape.Cancellation"/>, so later passes on it are not stopped by this pass's token.</summary>
    public void Dispose()
    {
        if (tape is not null) tape.Cancellation = default;
    }
}
