using Skald.Data.Indexing;
using Skald.Data.Ingest;
using Skald.Data.Ingest.Readers;
using Skald.Retrieval.Index;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="DocumentIndex.Sync"/> over a real folder of documents (text, Markdown, a .docx and a .jsonl written by
/// <see cref="TestDocuments"/>): after edits, a deletion and a new file, only the changed and new files are embedded
/// (counted by the model), their rows replace the old ones, removed files' rows are gone, rows of files outside the synced
/// folder stay, and the index holds the ids a build from scratch over the folder gives; an unchanged folder writes nothing.
/// </summary>
public sealed class DocumentIndexSyncTests
{
    internal static readonly ChunkOptions Chunking = new() { ChunkTokens = 40, OverlapTokens = 0 };
    internal static readonly DocumentIndexOptions Options = new() { Ocr = Ocr.Off };

    /// <summary>A folder of five documents in four formats (the .jsonl three rows).</summary>
    internal static string Folder()
    {
        string dir = Path.Combine(TestPaths.NewTempDir(), "docs");
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "ferie.txt"), "Ferien planlegges i mars. Søknad om ferie sendes til lederen din innen fristen.");
        File.WriteAllText(Path.Combine(dir, "sub", "kaffe.md"), "# Kaffe\n\nKaffemaskinen står i andre etasje. Den rengjøres hver fredag.");
        File.WriteAllText(Path.Combine(dir, "sykkel.txt"), "Sykkelboden ligger bak kontoret. Der kan du parkere sykkelen trygt under tak.");
        TestDocuments.Docx(dir);
        File.WriteAllLines(Path.Combine(dir, "faq.jsonl"),
        [
            """{"text": "Nettverket heter Kontor og passordet står på tavla.", "team": "it"}""",
            """{"text": "Skriveren finner du ved kantina i første etasje.", "team": "it"}""",
            """{"text": "Møterom bestilles i kalenderen, tidligst en uke før.", "team": "drift"}""",
        ]);
        return dir;
    }

    internal static string Build(string documents, CountingEmbeddingModel model)
    {
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        DocumentIndex.Build(index, model, "model", [documents], Chunking, "auto", Options);
        model.Texts.Clear();
        return index;
    }

    /// <summary>The documents and a second folder beside them, <c>other</c> (one file), and an index of both (stemmed as <paramref name="language"/> says).</summary>
    internal static (string Docs, string Other, string Index) TwoFolders(CountingEmbeddingModel model, string? language)
    {
        string docs = Folder();
        string other = Path.Combine(Path.GetDirectoryName(docs)!, "other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "lunsj.txt"), "Lunsj serveres fra elleve til ett i kantina.");
        string index = Path.Combine(TestPaths.NewTempDir(), "idx");
        DocumentIndex.Build(index, model, "model", [docs, other], Chunking, language, Options);
        model.Texts.Clear();
        return (docs, other, index);
    }

    internal static List<IndexRecord> Live(string index)
    {
        using var open = SearchIndex.Open(index);
        return [.. Enumerable.Range(0, open.Records.Count).Where(r => !open.Deleted.Contains(r)).Select(r => open.Records[r])];
    }

    [Fact]
    public void SyncEmbedsOnlyChangedAndNewFilesAndDropsTheRowsOfRemovedOnes()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        // The files' times too recent to trust when the index is built, settled by the sync (as a build within 2 s of
        // writing them and a sync later, which a loaded host made of this test at random): the untouched files' rows
        // are kept, not read again, and get their stamps.
        DocumentIndexSyncStampTests.Stamp(docs, DateTime.UtcNow.AddMinutes(1));
        string index = Build(docs, model);
        var untouched = Live(index).Where(r => r.Source is "sub/kaffe.md" or "tur.docx").ToList();
        Assert.NotEmpty(untouched);
        Assert.All(untouched, r => Assert.Null(r.SourceModified));
        DocumentIndexSyncStampTests.Stamp(docs, DateTime.UtcNow.AddMinutes(-10));

        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i april i år. Husk å registrere fravær i systemet.");
        File.Delete(Path.Combine(docs, "sykkel.txt"));
        File.WriteAllText(Path.Combine(docs, "sub", "parkering.txt"), "Parkeringsplassen er forbeholdt besøkende før klokka ni.");
        File.WriteAllLines(Path.Combine(docs, "faq.jsonl"), // a row changed, the third gone: every row of the file is read again, faq.jsonl:3 leaves
        [
            """{"text": "Nettverket heter Gjest og passordet står på tavla.", "team": "it"}""",
            """{"text": "Skriveren finner du ved kantina i første etasje.", "team": "it"}""",
        ]);
        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.Equal((2, 2, 1, 1), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.True(done.Written);
        // embedded: the new ferie.txt, both faq.jsonl rows, parkering.txt; nothing of kaffe.md or tur.docx
        Assert.Equal(4, model.Texts.Count);
        Assert.Contains(model.Texts, t => t.Contains("april", StringComparison.Ordinal));
        Assert.Contains(model.Texts, t => t.Contains("Parkeringsplassen", StringComparison.Ordinal));
        Assert.DoesNotContain(model.Texts, t => t.Contains("Kaffemaskinen", StringComparison.Ordinal) || t.Contains("Høsten", StringComparison.Ordinal));

        var live = Live(index);
        Assert.Equal(["faq.jsonl:1#c0", "faq.jsonl:2#c0", "ferie.txt#c0", "sub/kaffe.md#c0", "sub/parkering.txt#c0", .. untouched.Where(r => r.Source == "tur.docx").Select(r => r.Id)],
            live.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Contains("april", live.Single(r => r.Id == "ferie.txt#c0").Text, StringComparison.Ordinal);
        Assert.Equal("it", live.Single(r => r.Id == "faq.jsonl:1#c0").Fields!["team"]);
        // the same records, not read again, now stamped
        Assert.All(untouched, r => Assert.Contains(r, live.Select(l => l with { SourceSize = null, SourceModified = null })));
        Assert.All(live.Where(l => untouched.Any(u => u.Id == l.Id)), l => Assert.NotNull(l.SourceModified));
        Assert.All(live, r => Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(docs, r.Source)))), r.SourceSha256));

        // the same rows as an index built from scratch over the folder now
        var fresh = new CountingEmbeddingModel();
        string rebuilt = Build(docs, fresh);
        Assert.Equal(Live(rebuilt).Select(r => (r.Id, r.Source, r.Text, r.Language)).Order(), live.Select(r => (r.Id, r.Source, r.Text, r.Language)).Order());
    }

    [Fact]
    public void SyncOfAnUnchangedFolderEmbedsNothingAndWritesNothing()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string manifest = File.ReadAllText(Path.Combine(index, IndexWriter.ManifestFile));

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.False(done.Written);
        Assert.Equal((5, 0, 0, 0, 0, 0), (done.Unchanged, done.Changed, done.New, done.Removed, done.RowsAdded, done.RowsDropped));
        Assert.Empty(model.Texts);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(index, IndexWriter.ManifestFile))); // its write time too: not written
    }

    [Fact]
    public void AnIndexWithoutRecordedHashesIsEmbeddedAgainOnceThenSkipped()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string records = Path.Combine(index, IndexWriter.RecordsFile);
        var lines = File.ReadAllLines(records);
        Assert.All(lines, l => Assert.Contains("\"source_sha256\":", l, StringComparison.Ordinal));
        File.WriteAllLines(records, lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, ",\"source_sha256\":\"[0-9a-f]{64}\"", "")));
        int rows = Live(index).Count;

        var first = DocumentIndex.Sync(index, model, [docs], Chunking, Options); // an index written before hashes: every file counts as changed
        Assert.Equal((0, 5, 0, 0), (first.Unchanged, first.Changed, first.New, first.Removed));
        Assert.Equal(rows, model.Texts.Count);
        Assert.Equal(rows, Live(index).Count);
        model.Texts.Clear();

        var second = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.False(second.Written);
        Assert.Empty(model.Texts);
    }

    [Fact]
    public void SyncOfOneFolderKeepsTheRowsOfFilesOutsideIt()
    {
        var model = new CountingEmbeddingModel();
        var (docs, _, index) = TwoFolders(model, null);
        File.Delete(Path.Combine(docs, "sykkel.txt"));

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.Equal((4, 0, 0, 1), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.Empty(model.Texts);
        var sources = Live(index).Select(r => r.Source).ToHashSet();
        Assert.Contains("other/lunsj.txt", sources);
        Assert.DoesNotContain("docs/sykkel.txt", sources);
        Assert.Contains("docs/ferie.txt", sources);
    }

    [Fact]
    public void AFileEmptiedSinceLosesItsRowsAndAnEmptyNewFileIsSkipped()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        File.WriteAllText(Path.Combine(docs, "sykkel.txt"), "   \n");
        File.WriteAllText(Path.Combine(docs, "tom.txt"), "");
        var log = new List<string>();

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });

        Assert.Equal((4, 1, 1, 0), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.Empty(model.Texts);
        Assert.DoesNotContain(Live(index), r => r.Source is "sykkel.txt" or "tom.txt");
        Assert.Contains(log, l => l.Contains("sykkel.txt", StringComparison.Ordinal));
        Assert.True(done.Written);

        var again = DocumentIndex.Sync(index, model, [docs], Chunking, Options); // sykkel.txt and tom.txt, without text, were recorded (index.json's no_text): not read again
        Assert.Equal((6, 0, 0, 0), (again.Unchanged, again.Changed, again.New, again.Removed));
        Assert.False(again.Written);
    }
}
