using System.Text.Json.Nodes;
using Skald.Data.Indexing;
using Skald.Retrieval;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;

namespace Skald.Data.Tests;

/// <summary>
/// A plain <see cref="DocumentIndex.Add"/> (no sync) reads files as the index recorded (index.json's <c>reading</c>):
/// another text column, OCR setting or chunking is refused in one line naming it, as a sync refuses it, and nothing is
/// embedded; an index that recorded none records the add's, without the readers' revision while it holds documents'
/// rows of unknown readers (so a sync reads those again). Before, an add neither checked nor recorded them.
/// </summary>
public sealed class DocumentIndexAddReadingTests
{
    [Fact]
    public void APlainAddRefusesOtherReadingInOneLine()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        int rows = Live(index).Count;
        string ny = Path.Combine(docs, "ny.txt");
        File.WriteAllText(ny, "Nye rutiner for besøk gjelder fra mandag.");

        var column = Assert.Throws<EvaluationException>(() => DocumentIndex.Add(index, model, [ny], Chunking, Options with { TextColumn = "body" }));
        Assert.Contains("read with --text-column text", column.Message, StringComparison.Ordinal);
        Assert.Contains("this add asks body", column.Message, StringComparison.Ordinal);
        var ocr = Assert.Throws<EvaluationException>(() => DocumentIndex.Add(index, model, [ny], Chunking, Options with { Ocr = Skald.Data.Ingest.Readers.Ocr.Auto }));
        Assert.Contains("read with --ocr off", ocr.Message, StringComparison.Ordinal);
        var chunks = Assert.Throws<EvaluationException>(() => DocumentIndex.Add(index, model, [ny], Chunking with { ChunkTokens = 60 }, Options));
        Assert.Contains("chunk_tokens", chunks.Message, StringComparison.Ordinal);
        Assert.All(new[] { column, ocr, chunks }, e => Assert.DoesNotContain('\n', e.Message));
        Assert.Empty(model.Texts);
        Assert.Equal(rows, Live(index).Count);

        var (added, _) = DocumentIndex.Add(index, model, [ny], Chunking, Options); // the index's own reading
        Assert.True(added > 0);
        Assert.Contains(Live(index), r => r.Source == "ny.txt");
    }

    [Fact]
    public void AnAddRecordsTheReadingOfAnIndexThatRecordedNone()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        string manifest = Path.Combine(index, IndexWriter.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        Assert.True(json.Remove("reading")); // as an index written before the reading was recorded
        File.WriteAllText(manifest, json.ToJsonString());
        string ny = Path.Combine(docs, "ny.txt");
        File.WriteAllText(ny, "Nye rutiner for besøk gjelder fra mandag.");

        DocumentIndex.Add(index, model, [ny], Chunking, Options);

        using (var open = SearchIndex.Open(index)) // the add's reading; no readers' revision: the other rows' readers are not known
            Assert.Equal(new Dictionary<string, string> { ["ocr"] = "off", ["ocr_languages"] = "nor+dan+swe+eng", ["text_column"] = "text" }, open.Manifest.Reading);
        var refused = Assert.Throws<EvaluationException>(() => DocumentIndex.Sync(index, model, [docs], Chunking, Options with { TextColumn = "body" }));
        Assert.Contains("read with --text-column text", refused.Message, StringComparison.Ordinal);
        var logged = new List<string>();
        var synced = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = logged.Add });
        Assert.Contains(logged, l => l.Contains("read again", StringComparison.Ordinal));
        Assert.Equal(0, synced.Unchanged);
        using (var open = SearchIndex.Open(index))
            Assert.Equal(DocumentIndex.ReadersRevision, open.Manifest.Reading![DocumentIndex.ReadersKey]);
    }
}
