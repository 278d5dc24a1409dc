using System.Runtime.InteropServices;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="IndexWriteLock"/>: while one writer holds an index, another write (add, delete, reindex, build over it)
/// stops with one line before it reads anything, so neither's change is lost; once released, writes go on. Searches
/// are not held up.
/// </summary>
public sealed class IndexWriteLockTests
{
    [Fact]
    public void ASecondWriterStopsWhileTheFirstHoldsTheIndexAndGoesOnAfter()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(40);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records[..36], new Bm25Options(), "nb", 0, 0);
        using (IndexWriteLock.Take(folder))
        {
            string held = Assert.Throws<EvaluationException>(() => IndexBuilder.Delete(folder, ["doc0"], [])).Message;
            Assert.Contains("another skald is writing this index", held);
            Assert.Contains(folder, held);
            Assert.Throws<EvaluationException>(() => IndexBuilder.Add(folder, model, records[36..]));
            Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(folder, new DenseLayout()));
            Assert.Throws<EvaluationException>(() => IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0));
            using var index = SearchIndex.Open(folder); // reading needs no lock
            Assert.Equal(36, index.LiveCount);
            Assert.NotEmpty(index.Search("x", queries[0], SearchMode.Dense, 3));
        }
        Assert.Equal(4, IndexBuilder.Delete(folder, ["doc0"], []));
        Assert.Equal((4, 0), IndexBuilder.Add(folder, model, records[36..]));
        using (var index = SearchIndex.Open(folder)) Assert.Equal(36, index.LiveCount);
    }

    [Fact]
    public void EveryWriterRemovesTheLockFileWhenItEnds()
    {
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        string lockFile = Path.Combine(Path.GetDirectoryName(folder)!, ".lock-idx");
        IndexBuilder.Build(folder, model, folder, records[..36], new Bm25Options(), "nb", 0, 0);
        Assert.False(File.Exists(lockFile), "build left its lock file");
        IndexBuilder.Add(folder, model, records[36..]);
        Assert.False(File.Exists(lockFile), "add left its lock file");
        IndexBuilder.Delete(folder, ["doc0"], []);
        Assert.False(File.Exists(lockFile), "delete left its lock file");
        IndexBuilder.Reindex(folder, new DenseLayout());
        Assert.False(File.Exists(lockFile), "reindex left its lock file");
        Assert.Throws<EvaluationException>(() => IndexBuilder.Reindex(folder, new DenseLayout(), truncateDim: 100_000)); // a writer that fails
        Assert.False(File.Exists(lockFile), "a failed reindex left its lock file");
        Assert.Equal(["idx"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(folder)!).Select(Path.GetFileName));
    }

    /// <summary>
    /// The race of removing the lock file: a writer opens <c>.lock-NAME</c>, the writer before it removes the file and
    /// lets its lock go, and only then does the first lock what it opened: a file no longer at the path. Kept, that
    /// lock would exclude nobody (a third writer creates a new file and locks it); it is dropped and the file at the
    /// path locked instead, so the third is refused.
    /// </summary>
    [Fact]
    public void AWriterThatLockedAFileRemovedMeanwhileLocksTheOneAtThePathInstead()
    {
        if (OperatingSystem.IsWindows()) return; // a file open there cannot be removed: the race does not exist
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        Directory.CreateDirectory(folder);
        string lockFile = IndexWriteLock.PathOf(folder);
        int opened = 0;
        FileStream Open(string path)
        {
            var f = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            if (opened++ == 0) File.Delete(path); // the writer before removed it between our open and our lock
            return f;
        }
        using (IndexWriteLock.Take(folder, Open))
        {
            Assert.Equal(2, opened);
            Assert.True(File.Exists(lockFile));
            string third = Assert.Throws<EvaluationException>(() => IndexWriteLock.Take(folder)).Message;
            Assert.Contains("another skald is writing this index", third);
        }
        Assert.False(File.Exists(lockFile));
        using (IndexWriteLock.Take(folder)) Assert.True(File.Exists(lockFile));
    }

    /// <summary>
    /// <see cref="IndexWriter"/> is public: called on its own, it takes the lock too, so a write by another process
    /// meanwhile refuses it instead of both writing (and a search's clean-up, trusting the lock, cannot take its staging
    /// for a dead writer's).
    /// </summary>
    [Fact]
    public void AWriteCalledOnItsOwnIsRefusedWhileAnotherWriterHoldsTheIndex()
    {
        var (model, records, _) = IvfIndexTests.Corpus(20);
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        string tombstones = Path.Combine(folder, IndexWriter.TombstonesFile);
        string before = File.ReadAllText(tombstones);
        using (new FileStream(IndexWriteLock.PathOf(folder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            string message = Assert.Throws<EvaluationException>(() => IndexWriter.WriteTombstones(folder, [1])).Message;
            Assert.Contains("another skald is writing this index", message);
            Assert.Equal(before, File.ReadAllText(tombstones));
        }
        IndexWriter.WriteTombstones(folder, [1]);
        Assert.Equal("1" + Environment.NewLine, File.ReadAllText(tombstones));
        Assert.False(File.Exists(IndexWriteLock.PathOf(folder)));
    }

    /// <summary>
    /// glibc before 2.33 has no <c>stat</c> or <c>fstat</c> to call, only <c>__xstat</c> and <c>__fxstat</c> (still
    /// there in newer ones for old programs): through those too, the lock file at the path is the file held, and a
    /// new file at the path after a removal, or none, is not.
    /// </summary>
    [Fact]
    public void GlibcsOlderStatCallsTellTheHeldFileFromANewOneAtThePath()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        string path = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, ".lock-idx");
        using var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        foreach (bool legacy in new[] { true, false })
            Assert.True(IndexWriteLock.SameFile(held, path, legacy));
        File.Delete(path);
        foreach (bool legacy in new[] { true, false })
            Assert.False(IndexWriteLock.SameFile(held, path, legacy));
        File.WriteAllText(path, "");
        foreach (bool legacy in new[] { true, false })
            Assert.False(IndexWriteLock.SameFile(held, path, legacy));
    }

    /// <summary>
    /// A search that found a killed write's leftovers holds the lock while it cleans up; a writer starting then tries
    /// again for that moment instead of being refused (a holder for longer is still refused: the first test). The lock
    /// is found held twice here, then free.
    /// </summary>
    [Fact]
    public void AWriterWaitsOutTheMomentASearchHoldsTheLock()
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-lock").FullName, "idx");
        Directory.CreateDirectory(folder);
        int tries = 0;
        FileStream Open(string path)
        {
            if (++tries > 2) return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            using var search = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); // holds it this moment
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); // throws what a held lock throws
        }
        using (IndexWriteLock.Take(folder, Open)) Assert.Equal(3, tries);
    }

    /// <summary>
    /// One folder named four ways (its real path, through a linked parent, as a link itself, with <c>..</c> and
    /// relative to the current folder) has one lock: while a writer holds it through one name, a writer through any
    /// other is refused.
    /// </summary>
    [Fact]
    public void EverySpellingOfOneFolderMeetsAtOneLock()
    {
        if (OperatingSystem.IsWindows()) return; // links there need rights the tests may not have
        string top = Directory.CreateTempSubdirectory("skald-lock").FullName;
        string real = Path.Combine(top, "real", "idx");
        Directory.CreateDirectory(real);
        Directory.CreateSymbolicLink(Path.Combine(top, "parent-link"), Path.Combine(top, "real"));
        Directory.CreateSymbolicLink(Path.Combine(top, "idx-link"), real);
        string[] names = [real, Path.Combine(top, "parent-link", "idx"), Path.Combine(top, "idx-link") + "/",
            Path.Combine(top, "real", "..", "real", "idx"), Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(top, "parent-link", "idx"))];
        Assert.All(names, n => Assert.Equal(IndexWriteLock.PathOf(real), IndexWriteLock.PathOf(n)));
        foreach (string holder in names)
        {
            using (IndexWriteLock.Take(holder))
            {
                foreach (string other in names)
                    Assert.Contains("another skald is writing this index", Assert.Throws<EvaluationException>(() => IndexWriteLock.Take(other)).Message);
            }
        }
    }

    /// <summary>
    /// A write through a link to the index folder replaces the folder the link names, not the link: after an add
    /// through the link, the index read by its real path has the new rows, and the link still names it.
    /// </summary>
    [Fact]
    public void AWriteThroughALinkedFolderReplacesTheRealIndexAndKeepsTheLink()
    {
        if (OperatingSystem.IsWindows()) return;
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string top = Directory.CreateTempSubdirectory("skald-lock").FullName;
        string real = Path.Combine(top, "idx"), link = Path.Combine(top, "idx-link");
        IndexBuilder.Build(real, model, real, records[..36], new Bm25Options(), "nb", 0, 0);
        Directory.CreateSymbolicLink(link, real);
        IndexBuilder.Add(link, model, records[36..]);
        Assert.Equal(real, new DirectoryInfo(link).LinkTarget);
        using (var index = SearchIndex.Open(real)) Assert.Equal(40, index.LiveCount);
        Assert.Equal(["idx", "idx-link"], Directory.EnumerateFileSystemEntries(top).Select(Path.GetFileName).Order());
    }

    /// <summary>
    /// A write through a link whose target goes up past another link (<c>hop/../idx</c>, hop naming real/sub) replaces
    /// the index the link leads to, under that index's one lock: read back through the link it has the new rows, and
    /// no second index appears beside the inner link.
    /// </summary>
    [Fact]
    public void AWriteThroughALinkWithDotDotPastAnotherLinkReplacesTheIndexItLeadsTo()
    {
        if (OperatingSystem.IsWindows()) return;
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string top = Directory.CreateTempSubdirectory("skald-lock").FullName;
        string real = Path.Combine(top, "real", "idx"), link = Path.Combine(top, "idx-link");
        Directory.CreateDirectory(Path.Combine(top, "real", "sub"));
        IndexBuilder.Build(real, model, real, records[..36], new Bm25Options(), "nb", 0, 0);
        Directory.CreateSymbolicLink(Path.Combine(top, "hop"), Path.Combine("real", "sub"));
        Directory.CreateSymbolicLink(link, Path.Combine("hop", "..", "idx"));
        Assert.Equal(IndexWriteLock.PathOf(real), IndexWriteLock.PathOf(link));
        IndexBuilder.Add(link, model, records[36..]);
        using (var index = SearchIndex.Open(link)) Assert.Equal(40, index.LiveCount);
        Assert.False(Directory.Exists(Path.Combine(top, "idx")));
    }
}
