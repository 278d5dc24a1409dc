using System.Globalization;
using Skald.Data.Indexing;
using Skald.Data.Ingest.Readers;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;

namespace Skald.Data.Tests;

/// <summary>
/// Files read without text (an empty file; an image no OCR could read) are recorded in index.json's <c>no_text</c> with
/// their stamps, hashes and what OCR could read then, so a sync skips them while they are unchanged (before, every sync
/// read them again and said so); one is read again when it changes, or when OCR can read more, and its record goes when
/// it gets text or is removed.
/// </summary>
public sealed class DocumentIndexSyncTextlessTests
{
    private static readonly DateTime Earlier = DateTime.UtcNow.AddHours(-1);

    private static IReadOnlyList<TextlessFile> NoText(string index)
    {
        using var open = SearchIndex.Open(index);
        return open.Manifest.NoText ?? [];
    }

    /// <summary>Whether the sync's <paramref name="log"/> says it skipped a file named <paramref name="name"/> (read it and found it without text, or could not read it).</summary>
    internal static bool SaysSkipped(List<string> log, string name) => log.Any(l => l.StartsWith("skipped ", StringComparison.Ordinal) && l.Contains(name, StringComparison.Ordinal));

    [Fact]
    public void ANewFileWithoutTextIsRecordedOnceAndThenSkipped()
    {
        string docs = Folder();
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string tom = Path.Combine(docs, "tom.txt");
        File.WriteAllText(tom, "  \n");
        File.SetLastWriteTimeUtc(tom, Earlier);

        var first = new List<string>();
        var found = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = first.Add });
        Assert.True(SaysSkipped(first, "tom.txt"));
        Assert.True(found.Written); // written to record it, though it has no rows
        Assert.Equal((5, 0, 1), (found.Unchanged, found.Changed, found.New));
        Assert.Equal(new TextlessFile("tom.txt", DocumentIndex.Sha256(tom), 3, Earlier.ToString("O", CultureInfo.InvariantCulture), "off", FailuresApart: true), Assert.Single(NoText(index)));
        Assert.DoesNotContain(Live(index), r => r.Source == "tom.txt");

        var second = new List<string>();
        var again = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = second.Add });
        Assert.False(SaysSkipped(second, "tom.txt")); // not read again
        Assert.False(again.Written);
        Assert.Equal((6, 0, 0), (again.Unchanged, again.Changed, again.New));
    }

    [Fact]
    public void AFileWithoutTextIsReadAgainWhenItChangesAndForgottenWhenRemoved()
    {
        string docs = Folder();
        string tom = Path.Combine(docs, "tom.txt");
        File.WriteAllText(tom, "");
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model); // a build records it too
        Assert.Equal("tom.txt", Assert.Single(NoText(index)).Source);

        File.SetLastWriteTimeUtc(tom, Earlier.AddMinutes(1)); // touched, the same bytes: hashed, still unchanged
        var touched = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.Equal((6, 0), (touched.Unchanged, touched.Changed));
        Assert.False(touched.Written);

        File.WriteAllText(tom, "Parkeringsplassen bak kontoret er åpen for alle ansatte.");
        File.SetLastWriteTimeUtc(tom, Earlier.AddMinutes(2));
        var filled = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.Equal((5, 1, 0), (filled.Unchanged, filled.Changed, filled.New));
        Assert.Contains(Live(index), r => r.Source == "tom.txt" && r.Text.Contains("Parkeringsplassen", StringComparison.Ordinal));
        Assert.Empty(NoText(index));

        File.WriteAllText(tom, "\n");
        File.SetLastWriteTimeUtc(tom, Earlier.AddMinutes(3));
        var emptied = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.Equal(1, emptied.Changed);
        Assert.DoesNotContain(Live(index), r => r.Source == "tom.txt");
        Assert.Equal("tom.txt", Assert.Single(NoText(index)).Source);

        File.Delete(tom);
        var gone = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.True(gone.Written);
        Assert.Equal(1, gone.Removed);
        Assert.Empty(NoText(index));
    }

    [Fact]
    public void AnImageNoOcrCouldReadIsReadAgainWhenOcrCanReadIt()
    {
        string docs = Folder();
        string scan = Path.Combine(docs, "skjema.png");
        File.WriteAllBytes(scan, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var blind = new Ocr(true, "eng", _ => null, _ => { }); // OCR on, tesseract missing
        var model = new CountingEmbeddingModel();
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        DocumentIndex.Build(index, model, "model", [docs], Chunking, "auto", Options with { Ocr = blind });
        Assert.Equal(("skjema.png", "unavailable"), (Assert.Single(NoText(index)).Source, NoText(index)[0].Ocr));
        model.Texts.Clear();

        var still = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Ocr = blind });
        Assert.False(still.Written);
        Assert.Equal(6, still.Unchanged);

        // tesseract installed since (a stand-in that knows English and reads every picture as one line)
        string tesseract = Path.Combine(TestPaths.NewTempDir(), "tesseract");
        File.WriteAllText(tesseract, "#!/bin/sh\nif [ \"$1\" = \"--list-langs\" ]; then printf 'List of all languages available:\\neng\\n'; else echo 'Skjema for reiseregning og kilometergodtgjørelse'; fi\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tesseract, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var seeing = new Ocr(true, "eng", name => name == "tesseract" ? tesseract : null, _ => { });
        var read = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Ocr = seeing });
        Assert.True(read.Written);
        Assert.Equal((5, 1), (read.Unchanged, read.Changed));
        Assert.Contains(Live(index), r => r.Source == "skjema.png" && r.Text.Contains("reiseregning", StringComparison.Ordinal));
        Assert.Empty(NoText(index));
    }

    [Fact]
    public void AWiderDocumentsRootRenamesTheFilesWithoutTextAsItRenamesTheRows()
    {
        // the root moved up a folder while the documents stayed: rows become docs/..., and so must the text-less file's
        // entry, or the sync reads it again as a new file and keeps the old entry, naming a file under the wrong root
        string docs = Folder();
        string tom = Path.Combine(docs, "tom.txt");
        File.WriteAllText(tom, "");
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        Assert.Equal("tom.txt", Assert.Single(NoText(index)).Source);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i april. Husk å registrere fravær i systemet.");
        File.SetLastWriteTimeUtc(Path.Combine(docs, "ferie.txt"), Earlier.AddMinutes(1));

        string parent = Path.GetDirectoryName(docs)!;
        var log = new List<string>();
        var wider = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { DocumentsRoot = parent, Log = log.Add });
        Assert.True(wider.Written);
        Assert.False(SaysSkipped(log, "tom.txt")); // not read again
        Assert.Equal((5, 1, 0), (wider.Unchanged, wider.Changed, wider.New));
        Assert.Contains(Live(index), r => r.Source == "docs/ferie.txt");
        Assert.Equal("docs/tom.txt", Assert.Single(NoText(index)).Source);

        var again = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.False(again.Written);
        Assert.Equal(6, again.Unchanged);
    }

    [Fact]
    public void AScannedPdfNoOcrReadIsRecordedWithoutTextNotAsUnreadable()
    {
        // a PDF of scanned pages with OCR off: its text lies in pictures no OCR read (DataException.UnreadPictures), so it
        // is a file without text, read again when OCR can read more, not a damaged file kept until it changes
        string docs = Folder();
        TestDocuments.ScannedPdf(docs, "skannet.pdf");
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        var entry = Assert.Single(NoText(index));
        Assert.Equal(("skannet.pdf", "off", true), (entry.Source, entry.Ocr, entry.FailuresApart));
        using (var open = SearchIndex.Open(index)) Assert.Empty(open.Manifest.Unreadable ?? []);
    }
}
