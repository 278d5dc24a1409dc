namespace Skald.Tensors.Memory;

/// <summary>One reader's reference to a <see cref="SharedFile"/>; disposing it releases the reference once.</summary>
internal sealed class SharedFileReference : IDisposable
{
    private readonly SharedFile file;
    private int released;

    public SharedFileReference(SharedFile file) => this.file = file;

    /// <summary>Whether this reference was released.</summary>
    public bool IsReleased => Volatile.Read(ref released) != 0;

    /// <summary>Releases the reference; twice is fine.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) file.Release();
    }
}
