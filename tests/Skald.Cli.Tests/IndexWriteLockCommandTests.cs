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
    }
}
