using Skald.Models.Architectures;

namespace Skald.Models.Generation;

/// <summary>Releasing what a <see cref="TextGenerator"/> holds open: the files its vocabulary table is read from.</summary>
public sealed partial class TextGenerator : IDisposable
{
    private readonly Lock lifetime = new();
    private int running; // generations in flight (Generate, GenerateBatch, GenerateTogether, KeepInt8Only, KeepBf16Only)
    private bool disposed;

    /// <summary>Whether this generator was disposed.</summary>
    public bool IsDisposed
    {
        get
        {
            lock (lifetime) return disposed;
        }
    }

    /// <summary>
    /// Closes the files the decoder's vocabulary table is read from by rows
    /// (<see cref="Skald.Tensors.Autograd.Parameter.IsFileBacked"/>). Afterwards generating, tokenizing and
    /// <see cref="KeepInt8Only"/> / <see cref="KeepBf16Only"/> throw <see cref="ObjectDisposedException"/> naming the model folder; the properties
    /// (<see cref="Decoder"/>, <see cref="Context"/>, ...) stay readable. Disposing twice does nothing. A generation
    /// running on another thread (or one whose callback disposes it) is not cut short and is not waited for: it
    /// finishes, and the files close when it returns.
    /// </summary>
    public void Dispose()
    {
        lock (lifetime)
        {
            if (disposed) return;
            disposed = true;
            if (running > 0) return; // the last generation in flight closes them (Exit)
        }
        CloseFiles(Decoder);
    }

    /// <summary>Starts a generation: throws <see cref="ObjectDisposedException"/> once disposed, else counts it in flight.</summary>
    private void Enter()
    {
        lock (lifetime)
        {
            if (disposed) throw Disposed();
            running++;
        }
    }

    /// <summary>Ends a generation; the last one to end after <see cref="Dispose"/> closes the files.</summary>
    private void Exit()
    {
        bool close;
        lock (lifetime) close = --running == 0 && disposed;
        if (close) CloseFiles(Decoder);
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the folder once this generator is disposed.</summary>
    private void ThrowIfDisposed()
    {
        if (IsDisposed) throw Disposed();
    }

    private ObjectDisposedException Disposed() =>
        new(objectName: null, $"{templateSource}: this model was disposed (load it again to use it)");

    private static void CloseFiles(IDecoder decoder)
    {
        foreach (var p in decoder.Parameters) p.CloseFile();
    }
}
