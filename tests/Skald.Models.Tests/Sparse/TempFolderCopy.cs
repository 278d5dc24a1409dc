namespace Skald.Models.Tests.Sparse;

/// <summary>A copy of a fixture folder in a temporary directory, deleted on dispose.</summary>
internal sealed class TempFolderCopy : IDisposable
{
    public TempFolderCopy(string source)
    {
        Path = Directory.CreateTempSubdirectory("skald-fixture").FullName;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = System.IO.Path.Combine(Path, System.IO.Path.GetRelativePath(source, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>The copy's folder.</summary>
    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
