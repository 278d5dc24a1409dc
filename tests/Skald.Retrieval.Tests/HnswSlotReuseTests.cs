using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// <c>index add --replace-deleted</c> on an HNSW index (<see cref="IndexBuilder.Add"/>, <see cref="HnswGrowth"/>): new
/// rows take the slots of deleted and replaced rows, so rounds of deletes and adds keep the index (rows, graph file) its
/// size, every id keeps its own text's vector, deleted rows are never returned, a search keeping every row is the
/// exact index's, and the default search finds nearly what a freshly built graph finds.
/// </summary>
public sealed class HnswSlotReuseTests
{
    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-hnsw-reuse").FullName, "idx");

    private static void Build(string folder, TableModel model, IReadOnlyList<IndexRecord> records, HnswOptions? hnsw) =>
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, hnsw: hnsw);

    private static string[] Ids(SearchIndex index, float[] q, int k, int ef = 0) =>
        [.. index.Search("x", q, SearchMode.Dense, k, null, 2, 0, ef).Select(h => h.Record.Id)];

    [Fact]
    public void RoundsOfDeletesAndAddsKeepTheIndexItsSizeAndItsIdsOnTheirVectors()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(1200, seed: 8); // documents doc0..doc299, four rows each
        string folder = Folder();
        var hnsw = new HnswOptions { M = 8, EfConstruction = 60, EfSearch = 20 };
        Build(folder, model, records[..800], hnsw);
        long graphBytes = new FileInfo(Path.Combine(folder, IndexWriter.HnswFile)).Length;
        var live = records[..800].ToDictionary(r => r.Id);
        var byDocument = records.GroupBy(r => r.Document).ToDictionary(g => g.Key, g => g.ToList());
        for (int round = 0; round < 5; round++)
        {
            // 20 documents deleted (every 7th live one from an offset), 20 never indexed added: 80 rows out, 80 in.
            var gone = live.Values.Select(r => r.Document).Distinct().Order(StringComparer.Ordinal).Where((_, i) => i % 7 == round).Take(20).ToList();
            Assert.Equal(80, IndexBuilder.Delete(folder, gone, []));
            foreach (var r in gone.SelectMany(d => byDocument[d])) live.Remove(r.Id);
            var added = Enumerable.Range(200 + 20 * round, 20).SelectMany(d => byDocument[$"doc{d}"]).ToList();
            Assert.Equal((80, 0), IndexBuilder.Add(folder, model, added, replaceDeleted: true));
            foreach (var r in added) live[r.Id] = r;
            using var index = SearchIndex.Open(folder);
            Assert.Equal(800, index.Records.Count);
            Assert.Empty(index.Deleted);
            Assert.Equal(800, index.Graph!.Count);
            Assert.Equal(graphBytes, new FileInfo(Path.Combine(folder, IndexWriter.HnswFile)).Length);
        }
        // A document added again takes its old rows' slots; then more rows deleted than added: the rest stay tombstones.
        static string Spare(int i) => $"tekst nummer {1200 + i} om emne {(1200 + i) % 7}"; // the corpus's 12 texts never indexed
        var again = byDocument["doc290"].Select((r, i) => r with { Text = Spare(i) }).ToList(); // added in the last round
        Assert.Equal((4, 4), IndexBuilder.Add(folder, model, again, replaceDeleted: true));
        foreach (var r in again) live[r.Id] = r;
        var more = live.Values.Select(r => r.Document).Distinct().Order(StringComparer.Ordinal).Take(10).ToList();
        Assert.Equal(40, IndexBuilder.Delete(folder, more, []));
        foreach (var r in more.SelectMany(d => byDocument[d])) live.Remove(r.Id);
        var extra = Enumerable.Range(4, 8).Select(i => new IndexRecord($"x{i}", "extra", "extra.txt", 0, 1, "", Spare(i))).ToList();
        Assert.Equal((8, 0), IndexBuilder.Add(folder, model, extra, replaceDeleted: true));
        foreach (var r in extra) live[r.Id] = r;

        using var reopened = SearchIndex.Open(folder);
        Assert.Equal(800, reopened.Records.Count);
        Assert.Equal(32, reopened.Deleted.Count);
        Assert.Null(reopened.Graph!.Problem());
        var liveRows = Enumerable.Range(0, 800).Where(r => !reopened.Deleted.Contains(r)).ToList();
        Assert.Equal(live.Keys.Order(StringComparer.Ordinal), liveRows.Select(r => reopened.Records[r].Id).Order(StringComparer.Ordinal));
        foreach (int r in liveRows) // each id on its own text's vector
            Assert.Equal(ExactSearch.Normalize([model.Embed([reopened.Records[r].FullText], Models.TextRole.Document)[0]])[0], reopened.Vector(r).ToArray());
        string exactFolder = Folder(), freshFolder = Folder();
        var liveRecords = liveRows.Select(r => reopened.Records[r]).ToList();
        Build(exactFolder, model, liveRecords, null);
        Build(freshFolder, model, liveRecords, hnsw);
        using var exact = SearchIndex.Open(exactFolder);
        using var fresh = SearchIndex.Open(freshFolder);
        double churned = 0, rebuilt = 0;
        foreach (var q in queries)
        {
            var truth = Ids(exact, q, 10);
            Assert.Equal(truth, Ids(reopened, q, 10, ef: 800));
            Assert.Equal(Ids(exact, q, 40), Ids(reopened, q, 40, ef: 800)); // never a deleted row
            churned += truth.Intersect(Ids(reopened, q, 10, ef: 10)).Count() / 10.0 / queries.Length;
            rebuilt += truth.Intersect(Ids(fresh, q, 10, ef: 10)).Count() / 10.0 / queries.Length;
        }
        Assert.True(churned >= rebuilt - 0.02, $"recall@10 at ef 10: {churned:F3} after the churn, {rebuilt:F3} built afresh");
    }

    [Fact]
    public void WithoutAGraphReplaceDeletedIsRefusedNamingTheIndex()
    {
        var (model, records, _) = IvfIndexTests.Corpus(40);
        string folder = Folder();
        Build(folder, model, records[..20], null);
        var e = Assert.Throws<EvaluationException>(() => IndexBuilder.Add(folder, model, records[20..], replaceDeleted: true));
        Assert.StartsWith($"{folder}: --replace-deleted is for an HNSW index", e.Message);
    }
}
