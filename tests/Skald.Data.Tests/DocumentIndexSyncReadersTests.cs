using System.Text.Json.Nodes;
using Skald.Data.Indexing;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;

namespace Skald.Data.Tests;

/// <summary>
/// A sync of an index whose rows earlier document readers made (index.json's <c>reading</c> without this Skald's
/// <c>readers</c> revision: a .txt file's title line was text, not a heading, before 2026-12-07) reads every file again,
/// so the index holds what a build over the folder now gives; before, a file unchanged since kept its old rows for good
/// (its stamp or hash matched), beside changed files' rows of the new readers.
/// </summary>
public sealed class DocumentIndexSyncReadersTests
{
    [Fact]
    public void ASyncOfAnIndexReadByEarlierReadersReadsEveryFileAgain()
    {
        string docs = Folder();
        File.WriteAllText(Path.Combine(docs, "syk.txt"), "Sykefravær\n\nMeld fra til lederen din første dag. Egenmelding gjelder i tre dager.\n");
        DocumentIndexSyncStampTests.Stamp(docs, DateTime.UtcNow.AddHours(-1)); // stamps trusted: unchanged files are not even hashed
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        int rows = Live(index).Count;
        Assert.Equal("Sykefravær", Live(index).Single(r => r.Source == "syk.txt").Title);

        // the index as the readers before headings in .txt made it: the title line was the chunk's text, no reading.readers
        string records = Path.Combine(index, IndexWriter.RecordsFile);
        File.WriteAllLines(records, File.ReadAllLines(records).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            if ((string?)o["source"] == "syk.txt")
            {
                o["text"] = "Sykefravær " + (string?)o["text"];
                o["title"] = "";
            }
            return o.ToJsonString();
        }));
        string manifest = Path.Combine(index, IndexWriter.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        Assert.True(json["reading"]!.AsObject().Remove("readers"));
        File.WriteAllText(manifest, json.ToJsonString());

        var logged = new List<string>();
        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = logged.Add });
        Assert.True(done.Written);
        Assert.Equal((0, 6, 0, 0), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.Equal(rows, model.Texts.Count); // every row embedded again
        Assert.Contains(logged, l => l.Contains("read again", StringComparison.Ordinal));
        var synced = Live(index).Single(r => r.Source == "syk.txt");
        Assert.Equal("Sykefravær", synced.Title);
        Assert.StartsWith("Meld fra", synced.Text, StringComparison.Ordinal);
        using (var open = SearchIndex.Open(index))
            Assert.Equal("3", open.Manifest.Reading!["readers"]);

        // recorded: the next sync reads nothing
        model.Texts.Clear();
        var again = DocumentIndex.Sync(index, model, [docs], Chunking, Options);
        Assert.False(again.Written);
        Assert.Equal(6, again.Unchanged);
        Assert.Empty(model.Texts);
    }
}
