using System.Text.Json.Nodes;
using Skald.Data.Indexing;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;
using static Skald.Data.Tests.DocumentIndexSyncTextlessTests;

namespace Skald.Data.Tests;

/// <summary>
/// An index an earlier Skald wrote holds a damaged file (its reader failed on it) in <c>no_text</c>, as if it had read
/// and found no text, without <c>failures_apart</c>: the next sync reads such entries' files once more (not an image's,
/// whose reader's failures are text-less still) and records each anew, the damaged one in <c>unreadable</c> with why;
/// the sync after reads none of them. Before, the damaged file stayed in <c>no_text</c> until it changed.
/// </summary>
public sealed class DocumentIndexSyncEarlierTextlessTests
{
    private static readonly DateTime Earlier = DateTime.UtcNow.AddHours(-1);

    [Fact]
    public void ADamagedFileAnEarlierSkaldRecordedWithoutTextMovesToUnreadableAtTheNextSync()
    {
        string docs = Folder();
        string pdf = Path.Combine(docs, "brudd.pdf");
        File.WriteAllBytes(pdf, "%PDF-1.4 dette er ikke en pdf"u8.ToArray());
        File.WriteAllText(Path.Combine(docs, "tom.txt"), "  \n");
        File.WriteAllBytes(Path.Combine(docs, "skjema.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10]);
        TestDocuments.ScannedPdf(docs, "skannet.pdf"); // without text (no OCR), not damaged: stays
        DocumentIndexSyncStampTests.Stamp(docs, Earlier);
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        AsAnEarlierSkaldWroteIt(index);
        var (noText, unreadable) = Skipped(index);
        Assert.Equal(["brudd.pdf", "skannet.pdf", "skjema.png", "tom.txt"], noText.Select(t => t.Source));
        Assert.All(noText, t => Assert.False(t.FailuresApart));
        Assert.Empty(unreadable);

        var log = new List<string>();
        var sorted = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.True(sorted.Written);
        Assert.Contains(log, l => l.StartsWith("3 files recorded without text by an earlier Skald", StringComparison.Ordinal));
        Assert.True(SaysSkipped(log, "brudd.pdf") && SaysSkipped(log, "skannet.pdf") && SaysSkipped(log, "tom.txt")); // read once more
        Assert.False(SaysSkipped(log, "skjema.png")); // an image's failure is text-less still: not read
        Assert.Equal((6, 2, 0, 1), (sorted.Unchanged, sorted.Changed, sorted.New, sorted.Unreadable));
        (noText, unreadable) = Skipped(index);
        var damaged = Assert.Single(unreadable);
        Assert.Equal(("brudd.pdf", DocumentIndex.Sha256(pdf), 29L), (damaged.Source, damaged.Sha256, damaged.Size));
        Assert.StartsWith("not a readable PDF (", damaged.Reason, StringComparison.Ordinal);
        Assert.Equal(["skannet.pdf", "skjema.png", "tom.txt"], noText.Select(t => t.Source));
        Assert.Equal([true, false, true], noText.Select(t => t.FailuresApart)); // the image's entry kept as it was, the others anew
        Assert.Empty(model.Texts);

        log.Clear();
        var again = DocumentIndex.Sync(index, model, [docs], Chunking, Options with { Log = log.Add });
        Assert.False(again.Written);
        Assert.DoesNotContain(log, l => l.Contains("earlier Skald", StringComparison.Ordinal));
        Assert.False(SaysSkipped(log, "brudd.pdf") || SaysSkipped(log, "skannet.pdf") || SaysSkipped(log, "tom.txt") || SaysSkipped(log, "skjema.png"));
        Assert.Equal((8, 0, 0, 1), (again.Unchanged, again.Changed, again.New, again.Unreadable));
    }

    // index.json as a Skald before unreadable was recorded wrote it: every file read without rows in no_text, with its
    // hash, stamp and OCR's reach, and no failures_apart
    private static void AsAnEarlierSkaldWroteIt(string index)
    {
        string path = Path.Combine(index, IndexWriter.ManifestFile);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var noText = manifest["no_text"]!.AsArray();
        foreach (var t in noText) t!.AsObject().Remove("failures_apart");
        foreach (var u in manifest["unreadable"]!.AsArray())
            noText.Add(new JsonObject
            {
                ["source"] = u!["source"]!.GetValue<string>(),
                ["sha256"] = u["sha256"]!.GetValue<string>(),
                ["size"] = u["size"]!.GetValue<long>(),
                ["mtime"] = u["mtime"]!.GetValue<string>(),
                ["ocr"] = "off",
            });
        manifest.Remove("unreadable");
        File.WriteAllText(path, manifest.ToJsonString());
    }

    private static (List<TextlessFile> NoText, IReadOnlyList<UnreadableFile> Unreadable) Skipped(string index)
    {
        using var open = SearchIndex.Open(index);
        return ([.. (open.Manifest.NoText ?? []).OrderBy(t => t.Source, StringComparer.Ordinal)], open.Manifest.Unreadable ?? []);
    }
}
