using Skald.Data.Indexing;
using Skald.Retrieval.Index;
using static Skald.Data.Tests.DocumentIndexSyncTests;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="DocumentIndex.Sync"/> reads and embeds without the index's writer lock and takes it for its write alone:
/// another writer may write meanwhile (a delete, a second sync, a writer holding the lock while the sync embeds), and
/// then the sync is done again from the index as that writer left it, so no row of either is lost; files of another
/// writer's staging folder inside the documents are not read.
/// </summary>
public sealed class DocumentIndexSyncLockTests
{
    [Fact]
    public void ADeleteWhileTheSyncEmbedsIsLetInAndTheSyncStartsAgainFromIt()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Build(docs, model);
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i april i år. Husk å registrere fravær i systemet.");
        int deleted = -1;
        model.OnEmbed = () =>
        {
            model.OnEmbed = null;
            deleted = IndexBuilder.Delete(index, ["sub/kaffe.md#c0"], []); // on the syncing thread: refused were the sync holding the lock
        };

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        Assert.Equal(1, deleted);
        Assert.True(done.Written);
        Assert.Equal((3, 1, 1), (done.Unchanged, done.Changed, done.New)); // the second look: kaffe.md, its row deleted, is a file to add
        var live = Live(index);
        Assert.Contains("april", live.Single(r => r.Source == "ferie.txt").Text, StringComparison.Ordinal);
        Assert.Equal(Live(Build(docs, new CountingEmbeddingModel())).Select(r => r.Id).Order(StringComparer.Ordinal), live.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TwoSyncsOfOneIndexLoseNoRows()
    {
        var (docs, other, index) = TwoFolders(new CountingEmbeddingModel(), "auto");
        File.WriteAllText(Path.Combine(docs, "parkering.txt"), "Parkeringsplassen er forbeholdt besøkende før klokka ni.");
        File.WriteAllText(Path.Combine(other, "middag.txt"), "Middag serveres ikke i kantina på fredager.");
        DocumentSyncResult? second = null;
        var first = new CountingEmbeddingModel();
        first.OnEmbed = () =>
        {
            first.OnEmbed = null;
            second = DocumentIndex.Sync(index, new CountingEmbeddingModel(), [other], Chunking, Options); // writes while the first embeds
        };

        var done = DocumentIndex.Sync(index, first, [docs], Chunking, Options);

        Assert.True(second!.Written);
        Assert.Equal(1, second.New);
        Assert.True(done.Written);
        Assert.Equal(1, done.New);
        var sources = Live(index).Select(r => r.Source).ToList();
        Assert.Contains("other/middag.txt", sources); // the second sync's row, not lost by the first's write
        Assert.Contains("docs/parkering.txt", sources);
        Assert.Equal(sources.Count, sources.Count(s => s != "docs/parkering.txt") + 1);
        Assert.Equal(2, first.Texts.Count(t => t.Contains("Parkeringsplassen", StringComparison.Ordinal))); // embedded once per look: the first look's rows were of an index since changed
    }

    [Fact]
    public void TheSyncEmbedsWhileAnotherWriterHoldsTheLockAndReadsNothingOfItsStagingFolder()
    {
        string docs = Folder();
        var model = new CountingEmbeddingModel();
        string index = Path.Combine(docs, "idx"); // inside the documents: its staging siblings are too
        DocumentIndex.Build(index, model, "model", [docs], Chunking, "auto", Options);
        model.Texts.Clear();
        File.WriteAllText(Path.Combine(docs, "ferie.txt"), "Ferien planlegges i april i år. Husk å registrere fravær i systemet.");
        string staging = Path.Combine(docs, ".tmp-idx-1"); // a running writer's (process 1 is always running) new folder
        using var holding = new ManualResetEventSlim();
        using var embedding = new ManualResetEventSlim();
        var writer = new CountingEmbeddingModel
        {
            OnEmbed = () =>
            {
                Directory.CreateDirectory(staging);
                File.WriteAllLines(Path.Combine(staging, IndexWriter.RecordsFile), ["""{"id": "x#c0", "document": "x", "source": "x", "start": 0, "end": 4, "title": "", "text": "Stagingrad"}"""]);
                holding.Set();
                bool met = embedding.Wait(TimeSpan.FromSeconds(60));
                Directory.Delete(staging, recursive: true);
                throw new OperationCanceledException(met ? "the other writer gives up, writing nothing" : "the sync never embedded while the lock was held");
            },
        };
        var other = Task.Run(() => IndexBuilder.Add(index, writer, [new IndexRecord("y#c0", "y", "y", 0, 3, "", "Annen skriver", Language: "nb")])); // holds the lock while it embeds
        Assert.True(holding.Wait(TimeSpan.FromSeconds(60)));
        model.OnEmbed = embedding.Set;

        var done = DocumentIndex.Sync(index, model, [docs], Chunking, Options);

        var gaveUp = Assert.ThrowsAny<OperationCanceledException>(() => other.GetAwaiter().GetResult());
        Assert.Equal("the other writer gives up, writing nothing", gaveUp.Message);
        Assert.Equal((4, 1, 0, 0), (done.Unchanged, done.Changed, done.New, done.Removed));
        Assert.DoesNotContain(model.Texts, t => t.Contains("Stagingrad", StringComparison.Ordinal));
        Assert.DoesNotContain(Live(index), r => r.Source.Contains(".tmp-", StringComparison.Ordinal));
    }
}
