using System.Diagnostics;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="IndexRecovery"/>: the leftovers of a killed write are named with the writer's process id, which the system
/// may have given to another process since. Whether their writer has ended is told by the write lock instead, so an
/// index moved aside by a writer killed between its two renames comes back, and staging leftovers go, even while a
/// process with that id runs; while a writer holds the lock, what a running id names is left alone.
/// </summary>
public sealed class IndexRecoveryTests
{
    /// <summary>A running process other than this one, whose id stands for a dead writer's recycled one.</summary>
    private static Process Other() =>
        Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false }) ?? throw new InvalidOperationException("no sleep");

    private static string Built(out int rows)
    {
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-recover").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        rows = records.Count;
        return folder;
    }

    private static string[] Siblings(string folder) =>
        [.. Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(folder)!).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];

    [Fact]
    public void AnIndexMovedAsideByAWriterWhoseIdNowRunsIsPutBackAtTheNextOpen()
    {
        if (OperatingSystem.IsWindows()) return; // no sleep to start
        string folder = Built(out int rows);
        using var other = Other();
        try
        {
            string parent = Path.GetDirectoryName(folder)!;
            Directory.Move(folder, Path.Combine(parent, $".old-idx-{other.Id}")); // killed between its two renames
            Directory.CreateDirectory(Path.Combine(parent, $".tmp-idx-{other.Id}"));
            File.WriteAllText(Path.Combine(parent, $".tmp-idx-{other.Id}", "embeddings.f32"), "half");
            using (var index = SearchIndex.Open(folder)) Assert.Equal(rows, index.LiveCount);
            Assert.Equal(["idx"], Siblings(folder)); // and no lock file left by the clean-up
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public void AWriterRemovesLeftoversNamedByARunningIdSinceItHoldsTheLock()
    {
        if (OperatingSystem.IsWindows()) return;
        string folder = Built(out _);
        using var other = Other();
        try
        {
            string parent = Path.GetDirectoryName(folder)!;
            Directory.CreateDirectory(Path.Combine(parent, $".tmp-idx-{other.Id}"));
            File.WriteAllText(Path.Combine(folder, $".tmp-tombstones.txt-{other.Id}"), "3\n");
            using (var writing = IndexWriteLock.Take(folder))
            {
                IndexWriter.WriteTombstones(folder, [1]);
                Assert.DoesNotContain($".tmp-tombstones.txt-{other.Id}", Directory.EnumerateFiles(folder).Select(Path.GetFileName));
            }
            IndexBuilder.Reindex(folder, new DenseLayout()); // a writer opening the index: the staging folder named by a running id goes
            Assert.Equal(["idx"], Siblings(folder));
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public void WhileAWriterHoldsTheLockAReaderLeavesWhatARunningIdNames()
    {
        if (OperatingSystem.IsWindows()) return;
        string folder = Built(out int rows);
        using var other = Other();
        try
        {
            string staging = Path.Combine(Path.GetDirectoryName(folder)!, $".tmp-idx-{other.Id}");
            Directory.CreateDirectory(staging);
            // a writer in another process, its staging folder being filled (the lock taken as it takes it)
            using (new FileStream(IndexWriteLock.PathOf(folder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            {
                using (var index = SearchIndex.Open(folder)) Assert.Equal(rows, index.LiveCount);
                Assert.True(Directory.Exists(staging));
            }
            using (var index = SearchIndex.Open(folder)) Assert.Equal(rows, index.LiveCount); // the writer gone: a dead one's leftover
            Assert.Equal(["idx"], Siblings(folder));
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public void ASearchOnAnotherThreadLeavesTheStagingOfAWriterOfItsOwnProcess()
    {
        string folder = Built(out int rows);
        string staging = Path.Combine(Path.GetDirectoryName(folder)!, $".tmp-idx-{Environment.ProcessId}");
        using (IndexWriteLock.Take(folder)) // a writer of this process, its staging folder being filled
        {
            Directory.CreateDirectory(staging);
            File.WriteAllText(Path.Combine(staging, "embeddings.f32"), "being written");
            int live = -1;
            Exception? failed = null;
            var search = new Thread(() =>
            {
                try
                {
                    using var index = SearchIndex.Open(folder);
                    live = index.LiveCount;
                }
                catch (Exception e)
                {
                    failed = e;
                }
            });
            search.Start();
            search.Join();
            Assert.Null(failed);
            Assert.Equal(rows, live);
            Assert.True(File.Exists(Path.Combine(staging, "embeddings.f32")));
        }
        Directory.Delete(staging, recursive: true);
    }

    /// <summary>
    /// A writer moves the real folder aside, not a link to it: an index opened through a link to its folder, after a
    /// writer was killed between its two renames, finds the real folder's leftover and puts it back.
    /// </summary>
    [Fact]
    public void AnIndexOpenedThroughALinkPutsBackTheRealFolderMovedAside()
    {
        if (OperatingSystem.IsWindows()) return; // links there need rights the tests may not have
        string folder = Built(out int rows);
        string parent = Path.GetDirectoryName(folder)!, link = Path.Combine(parent, "idx-link");
        Directory.CreateSymbolicLink(link, folder);
        Directory.Move(folder, Path.Combine(parent, ".old-idx-2147483646")); // killed between its two renames
        using (var index = SearchIndex.Open(link)) Assert.Equal(rows, index.LiveCount);
        Assert.Equal(["idx", "idx-link"], Siblings(folder));
    }
}
