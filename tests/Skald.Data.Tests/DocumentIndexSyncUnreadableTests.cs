using System.Diagnostics;
using Skald.Data.Indexing;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;
using static Skald.Data.Tests.DocumentIndexSyncTextlessTests;

namespace Skald.Data.Tests;

/// <summary>
/// Files that cannot be read (a damaged PDF or Word file its reader gives up on, a link to nothing: a file that cannot
/// be opened, as one without permission) are recorded in index.json's <c>unreadable</c> with their stamps, hashes (none
/// for a file that could not be opened) and why, so a sync skips them while they are unchanged and counts them; before,
/// every sync read them again (and said so). One is read again when it changes, or once it can be opened, and its record
/// goes when it reads or is removed.
/// </summary>
public sealed class DocumentIndexSyncUnreadableTests
{
    private static readonly DateTime Earlier = DateTime.UtcNow.AddHours(-1);

    private static IReadOnlyList<UnreadableFile> Unreadable(string index)
    {
        using var open = SearchIndex.Open(index);
        return open.Manifest.Unreadable ?? [];
    }

    [Fact]
    public void ADamagedFileIsRecordedWithWhyAndSkippedUntilItChanges()
    {
        string docs = Folder();
        string pdf = Path.Combine(docs, "brudd.pdf"), docx = Path.Combine(docs, "skadet.docx");
        File.WriteAllBytes(pdf, "%PDF-1.4 dette er ikke en pdf"u8.ToArray());
        File.WriteAllBytes(docx, [1, 2, 3]);
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model); // a build records them
        var recorded = Unreadable(index).OrderBy(u => u.Source, StringComparer.Ordinal).ToList();
        Assert.Equal(["brudd.pdf", "skadet.docx"], recorded.Select(u => u.Source));
        Assert.Equal(DocumentIndex.Sha256(pdf), recorded[0].Sha256);
        Assert.Equal(29, recorded[0].Size);
        Assert.StartsWith("not a readable PDF (", recorded[0].Reason, StringComparison.Ordinal);
        Assert.Equal("not a readable Word file (file contains corrupted data)", recorded[1].Reason);
        using (var open = SearchIndex.Open(index)) Assert.Null(open.Manifest.NoText); // not taken for files without text

        var log = new List<string>();
        var still = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.False(SaysSkipped(log, "brudd.pdf") || SaysSkipped(log, "skadet.docx")); // not read again
        Assert.False(still.Written);
        Assert.Equal((5, 0, 0, 2), (still.Unchanged, still.Changed, still.New, still.Unreadable));

        File.SetLastWriteTimeUtc(pdf, Earlier.AddMinutes(1)); // touched, the same bytes: hashed, still skipped
        log.Clear();
        var touched = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.False(SaysSkipped(log, "brudd.pdf"));
        Assert.Equal((5, 0, 2), (touched.Unchanged, touched.Changed, touched.Unreadable));

        File.Copy(Path.Combine(docs, "tur.docx"), docx, overwrite: true); // mended: read, and its record goes
        File.SetLastWriteTimeUtc(docx, Earlier.AddMinutes(2));
        log.Clear();
        var mended = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.True(mended.Written);
        Assert.Equal((5, 1, 0, 1), (mended.Unchanged, mended.Changed, mended.New, mended.Unreadable));
        Assert.Contains(Live(index), r => r.Source == "skadet.docx");
        Assert.Equal("brudd.pdf", Assert.Single(Unreadable(index)).Source);

        File.WriteAllBytes(pdf, "%PDF-1.4 fortsatt ingen pdf"u8.ToArray()); // changed, still damaged: read once, recorded anew
        File.SetLastWriteTimeUtc(pdf, Earlier.AddMinutes(3));
        log.Clear();
        var changed = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.True(SaysSkipped(log, "brudd.pdf"));
        Assert.True(changed.Written);
        Assert.Equal((6, 0, 0, 1), (changed.Unchanged, changed.Changed, changed.New, changed.Unreadable));
        Assert.Equal(DocumentIndex.Sha256(pdf), Assert.Single(Unreadable(index)).Sha256);

        File.Delete(pdf);
        var gone = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.True(gone.Written);
        Assert.Equal((1, 0), (gone.Removed, gone.Unreadable));
        Assert.Empty(Unreadable(index));
    }

    [Fact]
    public void ANewDamagedFileIsCountedAsUnreadableNotAsNew()
    {
        string docs = Folder();
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string pdf = Path.Combine(docs, "brudd.pdf");
        File.WriteAllBytes(pdf, "%PDF-1.4 dette er ikke en pdf"u8.ToArray());
        File.SetLastWriteTimeUtc(pdf, Earlier);

        var found = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.True(found.Written); // written to record it, though it has no rows
        Assert.Equal((5, 0, 0, 1), (found.Unchanged, found.Changed, found.New, found.Unreadable));
        var entry = Assert.Single(Unreadable(index));
        Assert.Equal(new UnreadableFile("brudd.pdf", DocumentIndex.Sha256(pdf), 29, Earlier.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            "not a readable PDF (could not find any xref tables or streams in this document and could not resolve brute force positions)"), entry);
        Assert.False(DocumentIndex.Sync(index, model, [docs], Chunking, Options).Written);
    }

    [Fact]
    public void AFileThatCannotBeOpenedIsSkippedWhileItStillCannotAndReadOnceItCan()
    {
        // a link to nothing cannot be opened, as a file without read permission cannot (which a test run as root, as CI
        // runs, cannot make): recorded without a hash, skipped while it still cannot be opened, read once it can
        if (OperatingSystem.IsWindows()) return; // (links need a privilege there)
        string docs = Folder();
        string target = Path.Combine(Path.GetDirectoryName(docs)!, "kommer.txt"), link = Path.Combine(docs, "lenke.txt");
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        File.CreateSymbolicLink(link, target);
        OwnTime(link, Earlier); // (a link to nothing has only its own time)
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        var entry = Assert.Single(Unreadable(index));
        Assert.Equal(("lenke.txt", null), (entry.Source, entry.Sha256));
        Assert.StartsWith("cannot read (", entry.Reason, StringComparison.Ordinal);

        for (int round = 0; round < 2; round++)
        {
            var log = new List<string>();
            var still = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
            Assert.False(SaysSkipped(log, "lenke.txt")); // not said again
            Assert.False(still.Written);
            Assert.Equal((5, 0, 1), (still.Unchanged, still.Changed, still.Unreadable));
        }

        File.WriteAllText(target, "Lenken peker nå på en fil om parkering bak kontoret.");
        var opened = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.True(opened.Written);
        Assert.Equal((5, 1, 0), (opened.Unchanged, opened.Changed, opened.Unreadable));
        Assert.Contains(Live(index), r => r.Source == "lenke.txt" && r.Text.Contains("parkering", StringComparison.Ordinal));
        Assert.Empty(Unreadable(index));
    }

    [Fact]
    public void AnAddRecordsAnUnreadableFileAndForgetsItOnceItReads()
    {
        string docs = Folder();
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string docx = Path.Combine(docs, "skadet.docx");
        File.WriteAllBytes(docx, [1, 2, 3]);
        string lunsj = Path.Combine(docs, "lunsj.txt"); // (an add with no text at all is refused, as ever)
        File.WriteAllText(lunsj, "Lunsj serveres fra elleve til ett i kantina.");
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);

        DocumentIndex.Add(index, model, [docx, lunsj], Chunking, Options);
        Assert.Equal(("skadet.docx", "not a readable Word file (file contains corrupted data)"), (Assert.Single(Unreadable(index)).Source, Unreadable(index)[0].Reason));
        Assert.False(DocumentIndex.Sync(index, model, [docs], Chunking, Options).Written); // the sync skips what the add recorded

        File.Copy(Path.Combine(docs, "tur.docx"), docx, overwrite: true);
        var (added, _) = DocumentIndex.Add(index, model, [docx], Chunking, Options);
        Assert.True(added > 0);
        Assert.Empty(Unreadable(index));
    }

    [Fact]
    public void AWiderDocumentsRootRenamesTheUnreadableFilesAsItRenamesTheRows()
    {
        string docs = Folder();
        File.WriteAllBytes(Path.Combine(docs, "brudd.pdf"), "%PDF-1.4 dette er ikke en pdf"u8.ToArray());
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i april. Husk å registrere fravær i systemet.");
        File.SetLastWriteTimeUtc(Path.Combine(docs, "ferie.txt"), Earlier.AddMinutes(1));

        var log = new List<string>();
        var wider = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { DocumentsRoot = Path.GetDirectoryName(docs)!, Log = log.Add });
        Assert.True(wider.Written);
        Assert.False(SaysSkipped(log, "brudd.pdf")); // not read again
        Assert.Equal((4, 1, 0, 1), (wider.Unchanged, wider.Changed, wider.New, wider.Unreadable)); // (an unreadable file counts apart)
        Assert.Equal("docs/brudd.pdf", Assert.Single(Unreadable(index)).Source);
    }

    /// <summary>Sets a link's own write time (not its target's, which .NET's setters would follow), as <c>touch -h</c> does.</summary>
    private static void OwnTime(string link, DateTime at)
    {
        using var touch = Process.Start(new ProcessStartInfo("touch", ["-h", "-d", at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), link])
        {
            RedirectStandardError = true,
        })!;
        string error = touch.StandardError.ReadToEnd();
        touch.WaitForExit();
        Assert.True(touch.ExitCode == 0, error);
    }
}
