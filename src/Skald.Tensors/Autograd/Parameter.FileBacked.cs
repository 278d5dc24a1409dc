namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>
    /// Closes the file a file-backed parameter (<see cref="IsFileBacked"/>) reads its rows from, for an owner that is done
    /// with it (a disposed <c>SentenceEncoder</c>): rows already read stay readable, a row not read yet then throws
    /// <see cref="ObjectDisposedException"/>. Does nothing for a parameter whose values are in memory; closing twice is fine.
    /// </summary>
    public void CloseFile() => storage.File?.Dispose();
}
