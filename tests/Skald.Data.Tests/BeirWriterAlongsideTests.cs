using Skald.Data.Generation;
using Skald.Retrieval.Models;

namespace Skald.Data.Tests;

/// <summary>
/// The files a pipeline's generate stage adds to its BEIR folder (passages.txt, train-corpus.jsonl, suite.json) are
/// written into the folder BeirWriter builds, before it is moved into place: they appear with it, whole, or not at all.
/// Written after the move, as they were, a run killed while writing them left a folder with its pairs.jsonl (the
/// marker of a finished output) and a half or missing passages.txt.
/// </summary>
public sealed class BeirWriterAlongsideTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static GeneratedSet Set(string text)
    {
        var corpus = Enumerable.Range(0, 4).Select(c => new CorpusDocument($"d{c}-c0", "", $"{text} {c}")).ToList();
        var queries = Enumerable.Range(0, 8).Select(i => new GeneratedQuery($"q{i}", $"query {i}", $"d{i / 2}-c0", "ict")).ToList();
        return new GeneratedSet(corpus, queries, new Dictionary<string, int>());
    }

    [Fact]
    public void FilesWrittenAlongsideAreInTheFolderBeforeItIsInPlace()
    {
        string folder = Path.Combine(dir, "generate");
        bool seen = false;
        BeirWriter.Write(Set("passage"), folder, 0.25, 42, alongside: staged =>
        {
            Assert.False(Directory.Exists(folder)); // not yet where a reader looks
            Assert.True(File.Exists(Path.Combine(staged, BeirWriter.Marker)));
            File.WriteAllText(Path.Combine(staged, "passages.txt"), "passage 0\n");
            seen = true;
        });
        Assert.True(seen);
        Assert.Equal("passage 0\n", File.ReadAllText(Path.Combine(folder, "passages.txt")));
    }

    [Fact]
    public void AFailureWhileWritingAlongsideLeavesTheEarlierOutputWhole()
    {
        string folder = Path.Combine(dir, "generate");
        BeirWriter.Write(Set("old"), folder, 0.25, 42, alongside: staged => File.WriteAllText(Path.Combine(staged, "passages.txt"), "old\n"));
        string corpus = File.ReadAllText(Path.Combine(folder, "corpus.jsonl"));
        Assert.Throws<IOException>(() => BeirWriter.Write(Set("new"), folder, 0.25, 42, alongside: staged =>
        {
            File.WriteAllText(Path.Combine(staged, "passages.txt"), "ne"); // cut short
            throw new IOException("No space left on device");
        }));
        Assert.Equal(corpus, File.ReadAllText(Path.Combine(folder, "corpus.jsonl")));
        Assert.Equal("old\n", File.ReadAllText(Path.Combine(folder, "passages.txt")));
        Assert.Equal([folder], Directory.GetFileSystemEntries(dir)); // no staging folder left beside it
    }
}
