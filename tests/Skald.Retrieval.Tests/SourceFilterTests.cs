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
public sealed class SourceFilterTests
{
    private static readonly SourceFilter Hr = new(["*/hr/*"]);

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
        var pdf = index.Search(query, queries[0], SearchMode.Hybrid, 12, filter: new SourceFilter(["*.pdf"]));
        Assert.All(pdf, h => Assert.EndsWith(".pdf", h.Record.Source));
        Assert.Empty(index.Search(query, queries[0], SearchMode.Hybrid, 5, filter: new SourceFilter(["/nowhere/*"])));
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
    public void AFilterNeedsAPattern()
    {
        Assert.Throws<ArgumentException>(() => new SourceFilter([]));
        Assert.Throws<ArgumentException>(() => new SourceFilter(["*/hr/*", ""]));
        var r = new IndexRecord("a", "d", "/srv/HR/x.txt", 0, 1, "", "t");
        Assert.False(Hr.Matches(r)); // the case as written
        Assert.True(new SourceFilter(["*/HR/*", "*/hr/*"]).Matches(r));
        Assert.True(new SourceFilter(["/srv/*/x.tx?"]).Matches(r));
    }
}
