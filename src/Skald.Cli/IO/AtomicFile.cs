using Skald.Models.Checkpoints;

namespace Skald.Cli.IO;

/// <summary>Writes a file through a temporary sibling and a rename, so a reader never sees half a file.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir)) throw new InputException($"{path}: output folder {dir} does not exist");
        StagingPaths.Recover(full);
        string tmp = StagingPaths.Temp(full);
        try
        {
            FileStream fs;
            try
            {
                fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InputException($"{path}: cannot write there ({e.Message.Replace(tmp, path)})");
            }
            using (fs)
            {
                write(fs);
                fs.Flush(true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
