namespace Skald.Hub;

/// <summary>
/// The lock file that keeps two processes (or two downloads in one process) from fetching the same blob at once:
/// <c>.locks/models--org--name/{etag}.lock</c> opened exclusively (an advisory <c>flock</c> on Unix), polled until free.
/// </summary>
internal static class BlobLock
{
    /// <summary>Waits for and takes the lock at <paramref name="path"/>; disposing the stream releases it.</summary>
    public static async Task<FileStream> AcquireAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, ct);
            }
        }
    }
}
