namespace Skald.Models.CrossEncoders;

/// <summary>Releasing what a <see cref="CrossEncoder"/> holds open: the file its vocabulary table is read from.</summary>
public sealed partial class CrossEncoder : IDisposable
{
    private int disposed;

    /// <summary>Whether this model was disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref disposed) != 0;

    /// <summary>
    /// Closes the files this model's vocabulary table is read from by rows (<see cref="Skald.Tensors.Autograd.Parameter.IsFileBacked"/>).
    /// Afterwards scoring, tokenizing, the forward pass and making it packed-only or int8 throw
    /// <see cref="ObjectDisposedException"/> naming its folder; the properties (<see cref="Path"/>, <see cref="NumLabels"/>,
    /// ...) stay readable. Disposing twice does nothing. A batch being scored on another thread finishes first.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        using (gate.Enter())
        {
            foreach (var p in Parameters) p.CloseFile();
        }
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the folder once this model is disposed.</summary>
    private void ThrowIfDisposed()
    {
        if (IsDisposed) throw new ObjectDisposedException(objectName: null, $"{Source}: this model was disposed (load it again to use it)");
    }
}
