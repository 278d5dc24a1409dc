namespace Skald.Tensors.Autograd;

public sealed partial class Parameter
{
    /// <summary>
    /// Closes the file a file-backed parameter (<see cref="IsFileBacked"/>) reads its rows from, for an owner that is done
    /// with it (a disposed <c>SentenceEncoder</c>): rows already read stay readable, a row not read yet then throws
    /// <see cref="ObjectDisposedException"/>. A parameter whose values were left in their file and have since been copied
    /// into memory (training, <see cref="Data"/>) closes the file they came from, whose handle it still holds; one whose
    /// values never were in a file does nothing. Closing twice is fine.
    /// </summary>
    public void CloseFile() => storage.CloseFile();
}
