using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <see cref="DocumentPaths"/>: document paths, roots and sources compare as the file system does. CI runs on Linux
/// (case-sensitive), so the case-insensitive behaviour of Windows and macOS is tested by putting their comparer in place,
/// and each case is checked against the ordinal comparer too, which must tell the paths apart.
/// </summary>
public sealed class DocumentPathsTests
{
    private static readonly string Top = Path.Combine(Path.GetTempPath(), "skald-no-such-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void LinuxComparesPathsByTheirExactCharacters()
    {
        if (!OperatingSystem.IsLinux()) return; // the comparer of Linux's file systems
        Assert.Same(StringComparer.Ordinal, DocumentPaths.System);
        Assert.Same(StringComparer.Ordinal, DocumentPaths.Comparer);
        Assert.False(DocumentPaths.Same("/srv/Docs", "/srv/docs"));
    }

    [Fact]
    public async Task AComparerPutInPlaceHoldsUntilDisposedAndOnlyInItsFlow()
    {
        var system = DocumentPaths.Comparer;
        using (DocumentPaths.Use(StringComparer.OrdinalIgnoreCase))
        {
            Assert.True(DocumentPaths.Same(@"C:\Docs", @"c:\docs"));
            Assert.True(DocumentPaths.StartsWith(@"c:\docs\hr\ferie.md", @"C:\Docs\"));
            Assert.False(DocumentPaths.StartsWith(@"c:\do", @"C:\Docs\"));
            Assert.Same(system, await Task.Run(() => { using (DocumentPaths.Use(system)) return DocumentPaths.Comparer; }));
            Assert.Same(StringComparer.OrdinalIgnoreCase, DocumentPaths.Comparer); // the task's own change stayed in its flow
        }
        Assert.Same(system, DocumentPaths.Comparer);
    }

    [Fact]
    public void RootsDifferingOnlyInCaseAreOneFolderWhereCaseIsIgnored()
    {
        string a = Path.Combine(Top, "Docs", "hr", "ferie.md"), b = Path.Combine(Top, "docs", "it", "nett.md");
        using (DocumentPaths.Use(StringComparer.Ordinal))
        {
            Assert.Equal(Top, DocumentRoot.Of([a, b])); // two folders: their common one is above them
            Assert.Equal("../docs/it/nett.md", DocumentRoot.Relative(Path.Combine(Top, "Docs"), b));
        }
        using (DocumentPaths.Use(StringComparer.OrdinalIgnoreCase))
        {
            Assert.Equal(Path.Combine(Top, "Docs"), DocumentRoot.Of([a, b])); // one folder, as first written
            Assert.Equal("it/nett.md", DocumentRoot.Relative(Path.Combine(Top, "Docs"), b));
            Assert.Equal(".", DocumentRoot.Relative(Path.Combine(Top, "Docs"), Path.Combine(Top, "DOCS")));
            // a record under the root spelt another way keeps its name: the same file
            var record = new IndexRecord("hr/ferie.md#c0", "hr/ferie.md", "hr/ferie.md", 0, 1, "", "t");
            Assert.Same(record, DocumentRoot.Rebased(record, Path.Combine(Top, "Docs"), Path.Combine(Top, "docs")));
        }
    }

    [Fact]
    public void ADocumentNamedByItsPathIsTheSameDocumentInAnyCaseWhereCaseIsIgnoredAndABeirIdNever()
    {
        var chunk = new IndexRecord("hr/ferie.md#c0", "hr/ferie.md", "hr/ferie.md", 0, 1, "", "t");
        var upper = new IndexRecord("HR/Ferie.md#c2", "HR/Ferie.md", "HR/Ferie.md", 0, 1, "", "u");
        var row = new IndexRecord("rows.jsonl:3#c0", "rows.jsonl:3", "rows.jsonl", 0, 1, "", "t");
        var rowUpper = new IndexRecord("ROWS.jsonl:3#c0", "ROWS.jsonl:3", "ROWS.jsonl", 0, 1, "", "t");
        var otherRow = new IndexRecord("ROWS.jsonl:4#c0", "ROWS.jsonl:4", "ROWS.jsonl", 0, 1, "", "t");
        var beir = new IndexRecord("D1", "D1", "corpus.jsonl", 0, 1, "", "t");
        var beirLower = new IndexRecord("d1", "d1", "corpus.jsonl", 0, 1, "", "t");
        using (DocumentPaths.Use(StringComparer.Ordinal))
        {
            var same = new SameDocument();
            Assert.False(same.Equals(chunk, upper));
            Assert.False(same.Equals(row, rowUpper));
            Assert.True(same.Equals(chunk, chunk with { Id = "hr/ferie.md#c1" }));
        }
        using (DocumentPaths.Use(StringComparer.OrdinalIgnoreCase))
        {
            var same = new SameDocument();
            Assert.True(same.Equals(chunk, upper));
            Assert.Equal(same.GetHashCode(chunk), same.GetHashCode(upper));
            Assert.True(same.Equals(row, rowUpper));
            Assert.Equal(same.GetHashCode(row), same.GetHashCode(rowUpper));
            Assert.False(same.Equals(row, otherRow)); // the line after the path is not a path
            Assert.False(same.Equals(beir, beirLower)); // an id, not a path
        }
    }

    private static (TableModel Model, List<IndexRecord> Records) Corpus()
    {
        var vectors = new Dictionary<string, float[]>();
        var records = new List<IndexRecord>();
        string[] sources = ["hr/ferie.md", "it/nett.md", "kaffe.md", "HR/Ferie.md"];
        for (int i = 0; i < sources.Length; i++)
        {
            string text = $"tekst {i} om {sources[i]}";
            var v = new float[4];
            v[i] = 1;
            vectors[text] = v;
            records.Add(new IndexRecord(sources[i] + "#c0", sources[i], sources[i], 0, text.Length, "", text));
        }
        return (new TableModel(vectors), records);
    }

    private static string Build(TableModel model, IReadOnlyList<IndexRecord> records)
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-paths").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0);
        return folder;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddingAndDeletingFindADocumentByItsPathAsTheFileSystemComparesIt(bool ignoreCase)
    {
        var (model, records) = Corpus();
        using var _ = DocumentPaths.Use(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        string folder = Build(model, records[..3]);
        var (added, replaced) = IndexBuilder.Add(folder, model, [records[3]]); // HR/Ferie.md: hr/ferie.md in another case
        Assert.Equal((1, ignoreCase ? 1 : 0), (added, replaced));
        using (var index = SearchIndex.Open(folder)) Assert.Equal(ignoreCase ? 3 : 4, index.LiveCount);
        Assert.Equal(ignoreCase ? 1 : 0, IndexBuilder.Delete(folder, [], ["KAFFE.MD"]));
    }

    /// <summary>
    /// Case is the volume's, not the system's: an index whose documents lie on a volume that ignores case (the probe's
    /// answer injected, as a case-insensitive volume mounted on Linux or a Windows folder would give it) replaces a
    /// document added again in another case and deletes one named in another case; one on a volume that keeps case (on
    /// any system: a case-sensitive APFS or NTFS folder) indexes the two as two documents and deletes neither by the other's name.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AWriterComparesPathsAsTheProbedVolumeOfTheDocumentsRootDoes(bool ignoreCase)
    {
        var (model, records) = Corpus();
        string root = Directory.CreateTempSubdirectory("skald-docs").FullName;
        var probed = new List<string>();
        using var probe = DocumentPaths.UseProbe(f => { probed.Add(f); return ignoreCase; });
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-paths").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records[..3], new Bm25Options(), "nb", 0, 0, documentsRoot: root);
        var (added, replaced) = IndexBuilder.Add(folder, model, [records[3]], documentsRoot: root); // HR/Ferie.md
        Assert.Equal((1, ignoreCase ? 1 : 0), (added, replaced));
        using (var index = SearchIndex.Open(folder)) Assert.Equal(ignoreCase ? 3 : 4, index.LiveCount);
        Assert.Equal(ignoreCase ? 1 : 0, IndexBuilder.Delete(folder, [], ["KAFFE.MD"]));
        Assert.Contains(probed, f => RealPath.Of(f) == RealPath.Of(root)); // the documents' folder was asked, not the system
        Assert.Same(DocumentPaths.System, DocumentPaths.Comparer); // and the choice ended with each writer
    }

    [Fact]
    public void AProbeThatCannotTellKeepsTheComparerInPlaceAndScopesNest()
    {
        using var probe = DocumentPaths.UseProbe(f => f.EndsWith("insensitive", StringComparison.Ordinal) ? true : f.EndsWith("sensitive", StringComparison.Ordinal) ? false : null);
        using (DocumentPaths.On("/mnt/insensitive"))
        {
            Assert.Same(StringComparer.OrdinalIgnoreCase, DocumentPaths.Comparer);
            using (DocumentPaths.On("/mnt/unknown")) Assert.Same(StringComparer.OrdinalIgnoreCase, DocumentPaths.Comparer);
            using (DocumentPaths.On("/mnt/sensitive")) Assert.Same(StringComparer.Ordinal, DocumentPaths.Comparer);
            using (DocumentPaths.On(null)) Assert.Same(StringComparer.OrdinalIgnoreCase, DocumentPaths.Comparer);
            Assert.Same(StringComparer.OrdinalIgnoreCase, DocumentPaths.Comparer);
            using (DocumentPaths.Use(StringComparer.Ordinal)) Assert.Same(StringComparer.Ordinal, DocumentPaths.Comparer); // a test's own choice wins
        }
        Assert.Same(DocumentPaths.System, DocumentPaths.Comparer);
        using (DocumentPaths.On("/mnt/unknown")) Assert.Same(DocumentPaths.System, DocumentPaths.Comparer);
    }

    /// <summary>
    /// The probe itself, on the volume the tests run on: Linux's temporary folders keep case (tmpfs, ext4), which the
    /// probe finds from a name in the folder, from two names differing only in case, and from its own probe file in an
    /// empty folder (removed again); a folder that does not exist is probed through its nearest existing parent.
    /// </summary>
    [Fact]
    public void TheProbeFindsThatLinuxTemporaryFoldersKeepCase()
    {
        if (!OperatingSystem.IsLinux()) return;
        string empty = Directory.CreateTempSubdirectory("skald-case").FullName;
        Assert.False(FolderCase.Probe(empty));
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty)); // the probe file went again
        Assert.False(FolderCase.Probe(Path.Combine(empty, "no", "such")));
        File.WriteAllText(Path.Combine(empty, "Ferie.md"), "");
        Assert.False(FolderCase.Probe(empty));
        File.WriteAllText(Path.Combine(empty, "fERIE.MD"), "");
        Assert.False(FolderCase.Probe(empty));
        Assert.Equal(2, Directory.EnumerateFileSystemEntries(empty).Count());
        string many = Directory.CreateTempSubdirectory("skald-case").FullName; // the twin of the name asked about beyond the names listed
        for (int i = 0; i < 100; i++) File.WriteAllText(Path.Combine(many, $"Doc{i}.md"), "");
        for (int i = 0; i < 100; i++) File.WriteAllText(Path.Combine(many, $"dOC{i}.MD"), "");
        Assert.False(FolderCase.Probe(many));
    }

    /// <summary>
    /// A probe file left by a process killed while it probed (older than a minute) is removed by the next probe of the
    /// folder; a fresh one, another process probing this very moment, is left alone.
    /// </summary>
    [Fact]
    public void AProbeFileLeftByAKilledProberIsRemovedByTheNextProbe()
    {
        if (!OperatingSystem.IsLinux()) return;
        string folder = Directory.CreateTempSubdirectory("skald-case").FullName;
        string stale = Path.Combine(folder, ".skald-case-0badc0de"), fresh = Path.Combine(folder, ".skald-case-f00d");
        File.WriteAllText(stale, "");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        Assert.False(FolderCase.Probe(folder));
        Assert.False(File.Exists(stale));
        File.WriteAllText(fresh, "");
        Assert.False(FolderCase.Probe(folder));
        Assert.True(File.Exists(fresh));
    }

    /// <summary>
    /// A writer asks the documents root's volume once per process: a second and a third <c>Add</c> with the same root
    /// do not list or probe it again (probes counted through <see cref="FolderCase"/>'s hook), and a root removed and
    /// made again, another folder now at that path, is probed anew.
    /// </summary>
    [Fact]
    public void AddsOfOneDocumentsRootProbeItsVolumeOnceUntilTheFolderIsAnotherOne()
    {
        if (OperatingSystem.IsWindows()) return; // a folder's identity is its device and inode
        var (model, records) = Corpus();
        string root = Directory.CreateTempSubdirectory("skald-docs").FullName;
        File.WriteAllText(Path.Combine(root, "Ferie.md"), "");
        int probes = 0;
        void Count(string dir)
        {
            if (dir == root) Interlocked.Increment(ref probes);
        }
        FolderCase.Probing += Count;
        try
        {
            string folder = Build(model, records[..2]);
            IndexBuilder.Add(folder, model, [records[2]], documentsRoot: root);
            Assert.Equal(1, probes);
            IndexBuilder.Add(folder, model, [records[3]], documentsRoot: root);
            IndexBuilder.Delete(folder, [], ["KAFFE.MD"]);
            Assert.Equal(1, probes);
            Directory.Move(root, root + "-old"); // the old folder kept until the new one exists: no inode to reuse
            Directory.CreateDirectory(root);
            Directory.Delete(root + "-old", recursive: true);
            IndexBuilder.Add(folder, model, [records[3]], documentsRoot: root);
            Assert.Equal(2, probes);
        }
        finally
        {
            FolderCase.Probing -= Count;
        }
    }
}
