namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index delete</c> and <c>index add</c> while another writer holds the index (its <c>.lock-NAME</c> file
/// locked, as a running <c>index add</c> holds it): one line naming the index, exit 1, the index unchanged; a search
/// still answers.
/// </summary>
public sealed class IndexWriteLockCommandTests
{
    [Fact]
    public void AWriteWhileAnotherHoldsTheIndexStopsInOneLineAndSearchesGoOn()
    {
        var (_, index) = IndexedSampleModel.Build();
        string manifest = File.ReadAllText(Path.Combine(index, "index.json"));
        string lockFile = Path.Combine(Path.GetDirectoryName(index)!, ".lock-idx");
        using (new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) // flock, as a writer takes it
        {
            var delete = SkaldProcess.Run("index", "delete", "--index", index, "--source", Path.Combine(TestPaths.RepoRoot, "samples", "documents", "kaffe.md"));
            SkaldProcess.AssertUserError(delete, 1, index, "another skald is writing this index");
            SkaldProcess.AssertUserError(IndexedSampleModel.AddText(index, "hest.txt"), 1, "another skald is writing this index");
            Assert.Equal(0, IndexedSampleModel.Dense(index).ExitCode);
        }
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(index, "index.json")));
        Assert.False(File.Exists(Path.Combine(index, "tombstones.txt")) && File.ReadAllText(Path.Combine(index, "tombstones.txt")).Trim().Length > 0);
        var after = SkaldProcess.Run("index", "delete", "--index", index, "--source", Path.Combine(TestPaths.RepoRoot, "samples", "documents", "kaffe.md"), "-q");
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.False(File.Exists(lockFile), "the delete left the lock file beside the index");
    }

    /// <summary>
    /// Two <c>index delete</c> processes started together, round after round, each of another document: each either
    /// deletes its document or is refused in one line, no delete that said it ran is lost (the index's tombstones are
    /// exactly the rows of the documents whose delete succeeded), and no lock file is left beside the index.
    /// </summary>
    [Fact]
    public async Task TwoWritersAtOnceLoseNothingAndLeaveNoLockFile()
    {
        var (_, index) = IndexedSampleModel.Build();
        string documents = Path.Combine(TestPaths.RepoRoot, "samples", "documents");
        string[] names = ["ferie.md", "kaffe.md", "kantine.md", "motesrum.md", "nettverk.html", "sykkel.txt"];
        var deleted = new List<string>();
        for (int round = 0; round < names.Length; round += 2)
        {
            var pair = names[round..(round + 2)];
            var runs = pair.Select(n => Task.Run(() => SkaldProcess.Run("index", "delete", "--index", index, "--source", Path.Combine(documents, n), "-q"))).ToArray();
            var results = await Task.WhenAll(runs);
            for (int i = 0; i < 2; i++)
            {
                var r = results[i];
                if (r.ExitCode == 0) deleted.Add(pair[i]);
                else SkaldProcess.AssertUserError(r, 1, "another skald is writing this index");
            }
        }
        Assert.NotEmpty(deleted);
        using (var opened = Skald.Retrieval.Index.SearchIndex.Open(index))
        {
            var expected = Enumerable.Range(0, opened.Records.Count).Where(r => deleted.Contains(opened.Records[r].Source)).ToHashSet();
            Assert.Equal(expected.Order(), opened.Deleted.Order());
        }
        Assert.Equal(["idx"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(index)!).Select(Path.GetFileName));
    }
}
