using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// No index at the path given: the IO exceptions a .NET caller expects and can catch on their own, naming the path
/// (<see cref="DirectoryNotFoundException"/> for no folder, <see cref="FileNotFoundException"/> with the manifest's
/// path for a folder without one), not <see cref="EvaluationException"/>, which stays for a damaged index.
/// </summary>
public sealed class MissingIndexTests
{
    [Fact]
    public void OpeningAFolderThatDoesNotExistThrowsDirectoryNotFound()
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "nowhere");
        var e = Assert.Throws<DirectoryNotFoundException>(() => SearchIndex.Open(folder));
        Assert.StartsWith(folder + ": not a Skald index", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => new LiveIndex(folder, null));
        Assert.False(Directory.Exists(folder)); // looking created nothing
    }

    [Fact]
    public void OpeningAFolderWithoutAManifestThrowsFileNotFoundNamingTheManifest()
    {
        string folder = TestPaths.NewTempDir();
        var e = Assert.Throws<FileNotFoundException>(() => SearchIndex.Open(folder));
        Assert.Equal(Path.Combine(folder, IndexWriter.ManifestFile), e.FileName);
        Assert.StartsWith(folder + ": not a Skald index (no index.json", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<FileNotFoundException>(() => IndexBuilder.Delete(folder, ["x"], []));
    }

    [Fact]
    public void ADamagedManifestIsStillAnEvaluationException()
    {
        string folder = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(folder, IndexWriter.ManifestFile), "{ not json");
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.Contains(IndexWriter.ManifestFile, e.Message);
    }

    [Fact]
    public void ADamagedManifestNamesItsLineAndByteOnce()
    {
        string folder = TestPaths.NewTempDir(), manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifest, "{\n  \"format\": \"skald-index\",\n  \"rows\": ?\n}"); // the '?' is byte 11 of line 3
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.StartsWith(manifest + ":3: invalid JSON at byte 11 of the line (", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
