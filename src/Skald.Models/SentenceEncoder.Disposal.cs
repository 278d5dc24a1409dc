namespace Skald.Models;

/// <summary>Releasing what a <see cref="SentenceEncoder"/> holds open: the files its vocabulary tables are read from.</summary>
public sealed partial class SentenceEncoder : IDisposable
{
    private SentenceEncoderLifetime lifetime = new();

    /// <summary>Whether this model (or one sharing its weights: <see cref="WithAttention"/>, <see cref="AsSparse"/>, <see cref="AsCsr"/>) was disposed.</summary>
    public bool IsDisposed => lifetime.Ended;

    /// <summary>
    /// Closes the files this model's vocabulary tables are read from by rows (<see cref="Skald.Tensors.Autograd.Parameter.IsFileBacked"/>).
    /// Afterwards encoding, tokenizing, the forward passes and the methods that make another model of this one throw
    /// <see cref="ObjectDisposedException"/>; so do the models that share its weights (<see cref="WithAttention"/>,
    /// <see cref="AsSparse"/>, <see cref="AsCsr"/>), which disposing any one of them disposes. The properties
    /// (<see cref="Folder"/>, <see cref="Dimension"/>, ...) stay readable. Disposing twice does nothing. A forward pass
    /// running on another thread finishes first.
    /// </summary>
    public void Dispose()
    {
        foreach (var member in lifetime.End())
        {
            using (member.gate.Enter())
            {
                foreach (var p in member.Parameters) p.CloseFile();
            }
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the folder once this model is disposed.</summary>
    private void ThrowIfDisposed()
    {
        if (lifetime.Ended)
            throw new ObjectDisposedException(objectName: null, $"{Folder.Path}: this model was disposed (load it again to use it)");
    }

    /// <summary>
    /// Makes <paramref name="derived"/> share this model's lifetime (it shares its transformer) and keep its
    /// <see cref="Source"/>, and its passes take turns with this model's (one lock: the shared weights are packed,
    /// quantised or released lazily, at a pass); returns it.
    /// </summary>
    private SentenceEncoder ShareLifetime(SentenceEncoder derived)
    {
        if (ReferenceEquals(derived, this)) return this;
        derived.gate = gate;
        derived.source = source;
        derived.lifetime = lifetime;
        lifetime.Join(derived);
        return derived;
    }
}
