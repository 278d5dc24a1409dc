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
    public void ADamagedManifestNamesItsLineAndColumnOnce()
    {
        string folder = TestPaths.NewTempDir(), manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifest, "{\n  \"format\": \"skald-index\",\n  \"model\": \"bøker\", \"rows\": ?\n}"); // the '?' is character 29 of line 3 (byte 30)
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.StartsWith(manifest + ": not JSON (line 3, column 29): '?' is an invalid start of a value.", e.Message);
        Assert.DoesNotContain("LineNumber", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory] // an empty manifest is JsonFile's "empty"; JSON of the wrong shape names the value
    [InlineData(" \n", ": empty")]
    [InlineData("[1]", ": expected a JSON object")]
    [InlineData("{\"rows\": \"many\"}", ": $.rows: The JSON value could not be converted to")]
    public void AnEmptyOrMisshapenManifestIsOneLine(string text, string problem)
    {
        string folder = TestPaths.NewTempDir(), manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifest, text);
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.StartsWith(manifest + problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
