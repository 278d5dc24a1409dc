using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="LiveIndex"/>: an index changed on disk is served from the next lease on, a lease keeps the version it
/// took, and a version that cannot be opened or is refused leaves the served one in place with a line.
/// </summary>
public sealed class LiveIndexTests
{
    private static string Build(TableModel model, IReadOnlyList<IndexRecord> records)
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-live").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        return folder;
    }

    [Fact]
    public void OpeningPutsBackAnIndexAWriterWasKilledWhileReplacing()
    {
        // A writer killed between its two renames: the index is only its hidden .old- sibling, and a dead writer's
        // staging folder lies beside it. Opening (search, info, add ...) recovers the index as the next write would.
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Build(model, records);
        string parent = Path.GetDirectoryName(folder)!;
        string aside = Path.Combine(parent, ".old-idx-999999"), staged = Path.Combine(parent, ".tmp-idx-999999");
        Directory.Move(folder, aside);
        Directory.CreateDirectory(staged);
        using (var index = SearchIndex.Open(folder))
            Assert.Equal(40, index.LiveCount);
        Assert.False(Directory.Exists(aside));
        Assert.False(Directory.Exists(staged));
    }

    [Fact]
    public void AddedAndDeletedRowsAreServedFromTheNextLeaseOnAndALeaseKeepsItsVersion()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(200);
        string folder = Build(model, records[..152]); // whole documents (four rows each): none is added again
        var log = new List<string>();
        using var live = new LiveIndex(folder, refresh: null, log.Add);
        Assert.False(live.Refresh()); // nothing changed
        var before = live.Acquire();
        Assert.Equal(152, before.Index.LiveCount);

        IndexBuilder.Add(folder, model, records[152..]);
        Assert.True(live.Refresh());
        Assert.Contains(log, l => l.Contains("reopened: 200 live rows", StringComparison.Ordinal));
        Assert.Equal(200, live.Current.LiveCount);
        // The lease taken before still searches its own version, whole.
        Assert.Equal(152, before.Index.LiveCount);
        Assert.All(before.Index.Search("x", queries[0], SearchMode.Dense, 152), h => Assert.True(int.Parse(h.Record.Id[1..]) < 152));
        before.Dispose();
        using (var lease = live.Acquire())
            Assert.Contains(lease.Index.Search("x", queries[0], SearchMode.Dense, 200), h => int.Parse(h.Record.Id[1..]) >= 152);

        Assert.Equal(4, IndexBuilder.Delete(folder, ["doc40"], [])); // rows r160..r163: only the tombstone file changes
        Assert.True(live.Refresh());
        Assert.Equal(196, live.Current.LiveCount);
    }

    [Fact]
    public void AVersionWrittenInTheSameClockTickWithFilesOfTheSameSizeIsServed()
    {
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Build(model, records[..20]);
        string[] files = [.. new[] { IndexWriter.ManifestFile, IndexWriter.RecordsFile, IndexWriter.TombstonesFile }.Select(f => Path.Combine(folder, f))];
        var before = files.Select(f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f))).ToArray();
        using var live = new LiveIndex(folder, refresh: null);
        IndexBuilder.Add(folder, model, records[20..]);
        // The file system's clock ticks every few milliseconds: a write quick enough gets the times of the one before.
        for (int i = 0; i < files.Length; i++) File.SetLastWriteTimeUtc(files[i], before[i].Item2);
        Assert.Equal(before[0].Length, new FileInfo(files[0]).Length); // 20 rows, then 40: the same number of digits
        Assert.Equal(before[2].Length, new FileInfo(files[2]).Length); // no row deleted, before or after
        Assert.True(live.Refresh());
        Assert.Equal(40, live.Current.LiveCount);
    }

    [Fact]
    public void AVersionThatCannotBeOpenedOrIsRefusedLeavesTheServedOne()
    {
        var (model, records, _) = IvfIndexTests.Corpus(60);
        string folder = Build(model, records[..40]);
        var log = new List<string>();
        bool refuse = false;
        using var live = new LiveIndex(folder, refresh: null, log.Add, index =>
        {
            if (refuse) throw new ArgumentException($"{index.Folder}: not this one");
        });
        string manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        string good = File.ReadAllText(manifest);
        File.WriteAllText(manifest, "{ not json");
        Assert.False(live.Refresh());
        Assert.Contains(log, l => l.Contains("could not be opened", StringComparison.Ordinal) && l.Contains("previous version", StringComparison.Ordinal));
        Assert.Equal(40, live.Current.LiveCount);
        File.WriteAllText(manifest, good);

        refuse = true;
        IndexBuilder.Add(folder, model, records[40..]);
        Assert.False(live.Refresh());
        Assert.Contains(log, l => l.Contains("not served", StringComparison.Ordinal) && l.Contains("not this one", StringComparison.Ordinal));
        Assert.Equal(40, live.Current.LiveCount);
        refuse = false;
        IndexBuilder.Delete(folder, ["doc0"], []);
        Assert.True(live.Refresh());
        Assert.Equal(56, live.Current.LiveCount);
    }

    [Fact]
    public void ATimerPicksUpChangesWithoutBeingAsked()
    {
        var (model, records, _) = IvfIndexTests.Corpus(30);
        string folder = Build(model, records[..20]);
        using var live = new LiveIndex(folder, TimeSpan.FromMilliseconds(50));
        IndexBuilder.Add(folder, model, records[20..]);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (live.Current.LiveCount != 30 && DateTime.UtcNow < until) Thread.Sleep(20);
        Assert.Equal(30, live.Current.LiveCount);
    }
}
