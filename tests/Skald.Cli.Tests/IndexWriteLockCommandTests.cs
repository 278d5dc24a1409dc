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
            var delete = SkaldProcess.Run("index", "delete", "--index", index, "--source", Path.Combine(SampleDocuments.Folder, "kaffe.md"));
            SkaldProcess.AssertUserError(delete, 1, index, "another skald is writing this index");
            SkaldProcess.AssertUserError(IndexedSampleModel.AddText(index, "hest.txt"), 1, "another skald is writing this index");
            Assert.Equal(0, IndexedSampleModel.Dense(index).ExitCode);
        }
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(index, "index.json")));
        Assert.False(File.Exists(Path.Combine(index, "tombstones.txt")) && File.ReadAllText(Path.Combine(index, "tombstones.txt")).Trim().Length > 0);
        var after = SkaldProcess.Run("index", "delete", "--index", index, "--source", Path.Combine(SampleDocuments.Folder, "kaffe.md"), "-q");
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
        string documents = SampleDocuments.Folder;
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

    /// <summary>
    /// A lock file left by another user (root's, mode 0644: <c>nobody</c> may read it, not write it) is still locked, and
    /// so still keeps two writers apart: <c>index delete</c> run as <c>nobody</c> is refused while the test holds it,
    /// and deletes once it is free; a lock file <c>nobody</c> cannot even read refuses the write in one line naming it,
    /// the index unchanged (never a write without the lock). Runs where the tests run as root, which may become nobody.
    /// </summary>
    [Fact]
    public void AnotherUsersLockFileStillKeepsWritersApartAndAnUnreadableOneRefusesTheWrite()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv")) return;
        var (_, index) = IndexedSampleModel.Build();
        string parent = Path.GetDirectoryName(index)!, lockFile = Path.Combine(parent, ".lock-idx");
        string tombstones = Path.Combine(index, "tombstones.txt");
        string home = TestPaths.NewTempDir();
        foreach (string owned in new[] { parent, home })
            Assert.Equal(0, Chown(owned));
        File.WriteAllText(lockFile, "");
        File.SetUnixFileMode(lockFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string kaffe = Path.Combine(SampleDocuments.Folder, "kaffe.md");
        SkaldProcess.Result DeleteAsNobody() => SkaldProcess.Run(AsNobody(home, "index", "delete", "--index", index, "--source", kaffe, "-q"));
        string before = File.ReadAllText(tombstones);
        using (new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) // a writer of root's holds it
            SkaldProcess.AssertUserError(DeleteAsNobody(), 1, "another skald is writing this index", lockFile);
        Assert.Equal(before, File.ReadAllText(tombstones));
        var free = DeleteAsNobody();
        Assert.True(free.ExitCode == 0, free.Stderr);
        Assert.NotEqual(before, File.ReadAllText(tombstones));
        string deleted = File.ReadAllText(tombstones);
        File.WriteAllText(lockFile, "");
        File.SetUnixFileMode(lockFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // unreadable to nobody
        string sykkel = Path.Combine(SampleDocuments.Folder, "sykkel.txt");
        var refused = SkaldProcess.Run(AsNobody(home, "index", "delete", "--index", index, "--source", sykkel, "-q"));
        SkaldProcess.AssertUserError(refused, 1, "cannot open the index's write lock", lockFile, "never written unlocked");
        Assert.Equal(deleted, File.ReadAllText(tombstones));
    }

    /// <summary>
    /// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING=1</c> turns .NET's own file locks off; a writer run with it still takes
    /// the index's lock (Skald's own <c>flock</c>), so it is refused while another writer holds the index.
    /// </summary>
    [Fact]
    public void AWriterWithDotnetFileLockingTurnedOffIsStillRefusedWhileTheIndexIsHeld()
    {
        if (OperatingSystem.IsWindows()) return; // the setting is Unix's only
        var (_, index) = IndexedSampleModel.Build();
        string lockFile = Path.Combine(Path.GetDirectoryName(index)!, ".lock-idx");
        string tombstones = Path.Combine(index, "tombstones.txt");
        string before = File.ReadAllText(tombstones);
        var off = new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" };
        using (new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var delete = SkaldProcess.RunWith(null, off, "index", "delete", "--index", index, "--source", Path.Combine(SampleDocuments.Folder, "kaffe.md"), "-q");
            SkaldProcess.AssertUserError(delete, 1, "another skald is writing this index");
        }
        Assert.Equal(before, File.ReadAllText(tombstones));
    }

    /// <summary>skald with <paramref name="args"/> run as the user <c>nobody</c> (uid and gid 65534), its home <paramref name="home"/>.</summary>
    private static System.Diagnostics.ProcessStartInfo AsNobody(string home, params string[] args)
    {
        var psi = SkaldProcess.StartInfo(null, args);
        psi.ArgumentList.Insert(0, psi.FileName);
        foreach (string a in new[] { "--clear-groups", "--regid=65534", "--reuid=65534" }) psi.ArgumentList.Insert(0, a);
        psi.FileName = "setpriv";
        psi.Environment["HOME"] = home;
        psi.Environment["DOTNET_CLI_HOME"] = home;
        return psi;
    }

    /// <summary>Gives <paramref name="folder"/> and everything in it to nobody (uid and gid 65534); chown's exit code.</summary>
    private static int Chown(string folder)
    {
        using var chown = System.Diagnostics.Process.Start("chown", ["-R", "65534:65534", folder])!;
        chown.WaitForExit();
        return chown.ExitCode;
    }
}
