using System.Globalization;
using System.Text.RegularExpressions;
using Skald.Data.Indexing;
using Skald.Retrieval;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;

namespace Skald.Data.Tests;

/// <summary>
/// What <see cref="DocumentIndex.Sync"/> reads: a file whose length and write time are the ones recorded beside its hash
/// is not read (a same-length edit with its time put back goes unseen, as with rsync's quick check, which proves the
/// bytes were not hashed), a touched file with the same bytes is not embedded and its new time is recorded with the
/// next write, a time too recent to trust is not recorded; the reading options the index recorded are kept (others
/// refused in one line); the index's staging siblings and a BEIR corpus added from inside the folder are left out.
/// </summary>
public sealed class DocumentIndexSyncStampTests
{
    private static readonly DateTime Earlier = DateTime.UtcNow.AddHours(-1);

    /// <summary>Every file under <paramref name="folder"/> last written <paramref name="at"/>.</summary>
    internal static void Stamp(string folder, DateTime at)
    {
        foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(f, at);
    }

    /// <summary>The test documents, last written an hour ago, and an index of them.</summary>
    private static (string Docs, CountingEmbeddingModel Model, string Index) Settled()
    {
        string docs = Folder();
        Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        return (docs, model, Build(docs, model));
    }

    /// <summary>Rewrites <paramref name="file"/> with <paramref name="from"/> swapped for <paramref name="to"/> (as long), its write time kept.</summary>
    private static void EditKeepingLengthAndTime(string file, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var time = File.GetLastWriteTimeUtc(file);
        long length = new FileInfo(file).Length;
        File.WriteAllText(file, File.ReadAllText(file).Replace(from, to, StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(file, time);
        Assert.Equal(length, new FileInfo(file).Length);
    }

    [Fact]
    public void AFileWithItsRecordedLengthAndTimeIsNotReadAgain()
    {
        var (docs, model, index) = Settled();
        Assert.All(Live(index), r => Assert.Equal((new FileInfo(Path.Combine(docs, r.Source)).Length, Earlier.ToString("O", CultureInfo.InvariantCulture)),
            (r.SourceSize!.Value, r.SourceModified!)));
        string ferie = Path.Combine(docs, "ferie.txt");
        EditKeepingLengthAndTime(ferie, "mars", "mai.");

        var quick = DocumentIndex.Sync(index, model, [docs], Chunking, Options); // the stamp is the recorded one: not hashed, not read

        Assert.Equal((5, 0, 0, 0), (quick.Unchanged, quick.Changed, quick.New, quick.Removed));
        Assert.False(quick.Written);
        Assert.Empty(model.Texts);
        Assert.Contains("mars", Live(index).Single(r => r.Source == "ferie.txt").Text, StringComparison.Ordinal);

        File.SetLastWriteTimeUtc(ferie, Earlier.AddMinutes(1)); // its time changed: hashed, found changed, read again
        var timed = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.Equal((4, 1), (timed.Unchanged, timed.Changed));
        Assert.Contains(model.Texts, t => t.Contains("mai.", StringComparison.Ordinal));
        Assert.Equal(Earlier.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture), Live(index).Single(r => r.Source == "ferie.txt").SourceModified);
    }

    [Fact]
    public void ATouchedFileIsNotEmbeddedAndItsNewTimeIsRecordedWithTheNextWrite()
    {
        var (docs, model, index) = Settled();
        string kaffe = Path.Combine(docs, "sub", "kaffe.md");
        var touched = Earlier.AddMinutes(10);
        File.SetLastWriteTimeUtc(kaffe, touched);

        var first = DocumentIndex.Sync(index, model, [docs], Chunking, Options); // hashed: the same bytes, so nothing to embed or write

        Assert.Equal((5, 0, 0, 0), (first.Unchanged, first.Changed, first.New, first.Removed));
        Assert.False(first.Written);
        Assert.Empty(model.Texts);

        File.WriteAllText(Path.Combine(docs, "parkering.txt"), "Parkeringsplassen er forbeholdt besøkende før klokka ni.");
        File.SetLastWriteTimeUtc(Path.Combine(docs, "parkering.txt"), Earlier);
        var second = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.True(second.Written);
        Assert.DoesNotContain(model.Texts, t => t.Contains("Kaffemaskinen", StringComparison.Ordinal));
        Assert.All(Live(index).Where(r => r.Source == "sub/kaffe.md"), r => Assert.Equal(touched.ToString("O", CultureInfo.InvariantCulture), r.SourceModified));
        model.Texts.Clear();

        EditKeepingLengthAndTime(kaffe, "fredag", "mandag"); // the new stamp is the one trusted now
        var third = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.Equal(6, third.Unchanged);
        Assert.Empty(model.Texts);
    }

    [Fact]
    public void ATimeTooRecentToTrustIsNotRecordedSoTheFileIsHashed()
    {
        string docs = Folder();
        Stamp(docs, Earlier);
        string ferie = Path.Combine(docs, "ferie.txt");
        var recent = DateTime.UtcNow.AddSeconds(30); // not older than the settle time at the build: a write in the same tick would not change it
        File.SetLastWriteTimeUtc(ferie, recent);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        var row = Live(index).Single(r => r.Source == "ferie.txt");
        Assert.Equal((null, null), (row.SourceSize, row.SourceModified));
        Assert.NotNull(row.SourceSha256);

        EditKeepingLengthAndTime(ferie, "mars", "mai.");
        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.Equal((4, 1), (done.Unchanged, done.Changed));
        Assert.Contains(model.Texts, t => t.Contains("mai.", StringComparison.Ordinal));
    }

    [Fact]
    public void AnIndexWithoutStampsHashesItsFilesAndEmbedsNothing()
    {
        var (docs, model, index) = Settled();
        string records = Path.Combine(index, IndexWriter.RecordsFile);
        File.WriteAllLines(records, File.ReadAllLines(records).Select(l => Regex.Replace(l, ",\"source_size\":[0-9]+,\"source_mtime\":\"[^\"]+\"", "")));
        Assert.All(Live(index), r => Assert.Null(r.SourceModified));

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.Equal((5, 0, 0, 0), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.False(done.Written);
        Assert.Empty(model.Texts);
    }

    [Fact]
    public void ASyncReadsAsTheIndexRecordedAndRefusesOtherSettingsInOneLine()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        using (var open = SearchIndex.Open(index))
            Assert.Equal(new Dictionary<string, string> { ["ocr"] = "off", ["ocr_languages"] = "nor+dan+swe+eng", ["readers"] = "3", ["text_column"] = "text" }, open.Manifest.Reading);

        var column = Assert.Throws<EvaluationException>(() => DocumentIndex.Sync(index, model, [docs], Chunking, Options with { TextColumn = "body" }));
        Assert.Contains("--text-column text", column.Message, StringComparison.Ordinal);
        Assert.Contains("asks body", column.Message, StringComparison.Ordinal);
        var ocr = Assert.Throws<EvaluationException>(() => DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Ocr = Skald.Data.Ingest.Readers.Ocr.Auto }));
        Assert.Contains("--ocr off", ocr.Message, StringComparison.Ordinal);
        var chunks = Assert.Throws<EvaluationException>(() => DocumentIndex.Sync(index, model, [docs], Chunking with { ChunkTokens = 60 }, Options));
        Assert.Contains("chunk_tokens", chunks.Message, StringComparison.Ordinal);
        Assert.All(new[] { column, ocr, chunks }, e => Assert.DoesNotContain('\n', e.Message));
        Assert.Empty(model.Texts);

        // an index that recorded no reading (written before it was) takes the sync's and records it with the next write
        // (every file read again: its readers are not known to be these, DocumentIndexSyncReadersTests)
        string manifest = Path.Combine(index, IndexWriter.ManifestFile);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        Assert.True(json.Remove("reading"));
        File.WriteAllText(manifest, json.ToJsonString());
        File.WriteAllText(Path.Combine(docs, "ny.txt"), "Nye rutiner for besøk gjelder fra mandag.");
        DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Ocr = Skald.Data.Ingest.Readers.Ocr.Auto });
        using var after = SearchIndex.Open(index);
        Assert.Equal("auto", after.Manifest.Reading!["ocr"]);
    }

    [Fact]
    public void ACorpusAddedFromInsideTheFolderIsLeftOutOfTheSync()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string corpus = Path.Combine(docs, "corpus.jsonl");
        File.WriteAllLines(corpus, ["""{"_id": "k1", "title": "Kantine", "text": "Kantina åpner klokka elleve."}"""]);
        string root;
        using (var open = SearchIndex.Open(index)) root = open.Manifest.DocumentsRoot!;
        IndexBuilder.Add(index, model, DocumentIndex.ReadCorpus(corpus, root, languages: true), documentsRoot: root);
        File.WriteAllLines(corpus, ["""{"_id": "k1", "title": "Kantine", "text": "Kantina åpner klokka halv tolv."}""",
            """{"_id": "k2", "title": "", "text": "Kaffen er gratis."}"""]);
        model.Texts.Clear();
        var log = new List<string>();

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });

        Assert.Equal((5, 0, 0, 0), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.Empty(model.Texts);
        var rows = Live(index).Where(r => r.Source == "corpus.jsonl").ToList();
        Assert.Equal(["k1"], rows.Select(r => r.Id));
        Assert.Contains("elleve", rows[0].Text, StringComparison.Ordinal);
        Assert.Contains(log, l => l.Contains("corpus.jsonl", StringComparison.Ordinal) && l.Contains("--corpus", StringComparison.Ordinal));
    }
}
