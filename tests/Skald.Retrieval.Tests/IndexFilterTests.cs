using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Searching part of an index (<c>skald search --source</c>, <c>/v1/search</c>'s <c>source</c>): only rows whose source
/// passes come back, dense hits are the best passing rows by their stored vectors (exact, whatever lists, graph or codes
/// the index has), BM25 and hybrid hits pass too, deleted rows never come back.
/// </summary>
public sealed class IndexFilterTests
{
    private static readonly IndexFilter Hr = IndexFilter.OfSources("*/hr/*");

    // 600 rows of the clustered corpus, every third document under /srv/hr, the rest under /srv/it
    private static (TableModel Model, List<IndexRecord> Records, float[][] Queries) Corpus()
    {
        var (model, records, queries) = IvfIndexTests.Corpus(600);
        var placed = records.Select((r, i) => r with { Source = (i / 4) % 3 == 0 ? $"/srv/hr/doc{i / 4}.txt" : $"/srv/it/doc{i / 4}.pdf" }).ToList();
        return (model, placed, queries);
    }

    private static string Build(TableModel model, List<IndexRecord> records, IvfOptions? ivf = null, HnswOptions? hnsw = null,
        ProductQuantizerOptions? pq = null, EmbeddingPrecision precision = EmbeddingPrecision.Float32)
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("skald-filter").FullName, "idx");
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, precision, ivf, hnsw, pq: pq);
        return folder;
    }

    // The best k passing live rows by the dot product of their stored (unit) vectors with the unit query; ties: earlier row.
    private static string[] Expected(SearchIndex index, float[] q, int k)
    {
        float norm = MathF.Sqrt(q.Sum(x => x * x));
        var unit = q.Select(x => x / norm).ToArray();
        return [.. Enumerable.Range(0, index.Records.Count)
            .Where(r => !index.Deleted.Contains(r) && index.Records[r].Source.Contains("/hr/", StringComparison.Ordinal))
            .Select(r => (Row: r, Score: index.Vector(r).ToArray().Zip(unit, (a, b) => (double)a * b).Sum()))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(k).Select(x => index.Records[x.Row].Id)];
    }

    [Fact]
    public void DenseHitsAreTheBestPassingRowsInEveryKindOfIndex()
    {
        var (model, records, queries) = Corpus();
        string[] folders =
        [
            Build(model, records),
            Build(model, records, ivf: new IvfOptions { Lists = 16, Probes = 1 }),
            Build(model, records, hnsw: new HnswOptions { M = 8, EfConstruction = 40, EfSearch = 10 }),
            Build(model, records, pq: new ProductQuantizerOptions { Subspaces = 4, Bits = 8 }),
            Build(model, records, precision: EmbeddingPrecision.Binary),
        ];
        foreach (string folder in folders)
        {
            using var index = SearchIndex.Open(folder);
            foreach (var q in queries)
            {
                var hits = index.Search("x", q, SearchMode.Dense, 10, filter: Hr);
                Assert.Equal(Expected(index, q, 10), hits.Select(h => h.Record.Id));
                Assert.All(hits, h => Assert.StartsWith("/srv/hr/", h.Record.Source));
            }
        }
    }

    [Fact]
    public void Bm25AndHybridHitsPassAndBm25KeepsItsOrder()
    {
        var (model, records, queries) = Corpus();
        using var index = SearchIndex.Open(Build(model, records));
        string query = "tekst emne 3";
        var all = index.Search(query, null, SearchMode.Bm25, index.Records.Count);
        var expected = all.Where(h => h.Record.Source.StartsWith("/srv/hr/", StringComparison.Ordinal)).Take(7).Select(h => h.Record.Id);
        Assert.Equal(expected, index.Search(query, null, SearchMode.Bm25, 7, filter: Hr).Select(h => h.Record.Id));
        var hybrid = index.Search(query, queries[0], SearchMode.Hybrid, 12, filter: Hr);
        Assert.Equal(12, hybrid.Count);
        Assert.All(hybrid, h => Assert.StartsWith("/srv/hr/", h.Record.Source));
        var pdf = index.Search(query, queries[0], SearchMode.Hybrid, 12, filter: IndexFilter.OfSources("*.pdf"));
        Assert.All(pdf, h => Assert.EndsWith(".pdf", h.Record.Source));
        Assert.Empty(index.Search(query, queries[0], SearchMode.Hybrid, 5, filter: IndexFilter.OfSources("/nowhere/*")));
    }

    [Fact]
    public void WhenMostRowsPassTheIndexsOwnSearchIsAskedForMore()
    {
        var (model, records, queries) = Corpus();
        var it = IndexFilter.OfSources("*/it/*"); // two documents in three
        using var exact = SearchIndex.Open(Build(model, records));
        using var hnsw = SearchIndex.Open(Build(model, records, hnsw: new HnswOptions { M = 8, EfConstruction = 60, EfSearch = 200 }));
        foreach (var q in queries.Take(6))
        {
            var hits = hnsw.Search("x", q, SearchMode.Dense, 10, filter: it);
            Assert.Equal(10, hits.Count);
            Assert.All(hits, h => Assert.StartsWith("/srv/it/", h.Record.Source));
            // the graph with a wide beam finds the exact passing rows here, so asking it for more loses nothing
            Assert.Equal(exact.Search("x", q, SearchMode.Dense, 10, filter: it).Select(h => h.Record.Id), hits.Select(h => h.Record.Id));
        }
        // a filter nothing passes, and one row: the exact fallback
        Assert.Empty(hnsw.Search("x", queries[0], SearchMode.Dense, 10, filter: IndexFilter.OfSources("/none/*")));
        Assert.Single(hnsw.Search("x", queries[0], SearchMode.Dense, 10, filter: IndexFilter.OfSources("/srv/hr/doc0.txt")).Select(h => h.Record.Document).Distinct());
    }

    [Fact]
    public void DeletedRowsNeverComeBack()
    {
        var (model, records, queries) = Corpus();
        string folder = Build(model, records);
        using (var before = SearchIndex.Open(folder))
        {
            var best = before.Search("x", queries[1], SearchMode.Dense, 1, filter: Hr)[0].Record.Document;
            Assert.True(IndexBuilder.Delete(folder, [best], []) > 0);
        }
        using var index = SearchIndex.Open(folder);
        var hits = index.Search("x", queries[1], SearchMode.Dense, 10, filter: Hr);
        Assert.Equal(Expected(index, queries[1], 10), hits.Select(h => h.Record.Id));
        Assert.DoesNotContain(hits, h => index.Deleted.Contains(h.Row));
    }

    [Fact]
    public void AFilterNeedsAPatternOrAField()
    {
        Assert.Throws<ArgumentException>(() => new IndexFilter());
        Assert.Throws<ArgumentException>(() => new IndexFilter([], []));
        Assert.Throws<ArgumentException>(() => IndexFilter.OfSources("*/hr/*", ""));
        Assert.Throws<ArgumentException>(() => new IndexFilter(fields: [new("", ["x"])]));
        Assert.Throws<ArgumentException>(() => new IndexFilter(fields: [new("lang", [])]));
        Assert.Throws<ArgumentException>(() => IndexFilter.OfSources(new string('*', IndexFilter.MaxLength + 1)));
        Assert.Throws<ArgumentException>(() => new IndexFilter(fields: [new("lang", [new string('a', IndexFilter.MaxLength + 1)])]));
        var r = new IndexRecord("a", "d", "/srv/HR/x.txt", 0, 1, "", "t");
        Assert.False(Hr.Matches(r)); // the case as written
        Assert.True(IndexFilter.OfSources("*/HR/*", "*/hr/*").Matches(r));
        Assert.True(IndexFilter.OfSources("/srv/*/x.tx?").Matches(r));
    }

    [Fact]
    public void FieldsMustAllHoldOneOfTheirValuesAndSurviveTheRecordsFile()
    {
        var (model, records, queries) = Corpus();
        // every row gets a language and, for even documents, a department
        var withFields = records.Select((r, i) => r with
        {
            Fields = (i / 4) % 2 == 0
                ? new Dictionary<string, string> { ["lang"] = (i / 4) % 3 == 0 ? "nb" : "sv", ["dept"] = "hr" }
                : new Dictionary<string, string> { ["lang"] = "da" },
        }).ToList();
        withFields[0] = withFields[0] with { Fields = null };
        using var index = SearchIndex.Open(Build(model, withFields));
        Assert.Null(index.Records[0].Fields);
        Assert.Equal(withFields[5].Fields, index.Records[5].Fields); // read back from records.jsonl
        var filter = new IndexFilter(fields: [new("lang", ["nb", "sv"]), new("dept", ["hr"])]);
        bool Passes(IndexRecord r) => r.Fields is { } f && f.TryGetValue("dept", out var d) && d == "hr" && f["lang"] is "nb" or "sv";
        foreach (var q in queries.Take(4))
        {
            float norm = MathF.Sqrt(q.Sum(x => x * x));
            var expected = Enumerable.Range(0, index.Records.Count).Where(r => Passes(index.Records[r]))
                .Select(r => (Row: r, Score: index.Vector(r).ToArray().Zip(q, (a, b) => (double)a * b / norm).Sum()))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(8).Select(x => index.Records[x.Row].Id);
            Assert.Equal(expected, index.Search("x", q, SearchMode.Dense, 8, filter: filter).Select(h => h.Record.Id));
        }
        var both = new IndexFilter(["*/hr/*"], [new("lang", ["da"])]); // /hr/ documents are every third, "da" every odd one
        Assert.All(index.Search("tekst emne", queries[0], SearchMode.Hybrid, 10, filter: both),
            h => Assert.True(h.Record.Source.Contains("/hr/", StringComparison.Ordinal) && h.Record.Fields!["lang"] == "da"));
        Assert.Empty(index.Search("tekst", queries[0], SearchMode.Bm25, 5, filter: new IndexFilter(fields: [new("lang", ["fi"])])));
    }
}
