using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Index folders with an HNSW graph (<c>index build --hnsw</c>): dense search keeping every row equal to an exact
/// index's, deleted rows never returned, <c>index add</c> inserting into the graph (dropped rows kept as tombstones) or,
/// past a quarter of the rows deleted, compacting and building it again, and impossible settings or damaged files named.
/// </summary>
public sealed class HnswIndexTests
{
    private static (TableModel Model, List<IndexRecord> Records, float[][] Queries) Corpus(int n, int seed = 1) => IvfIndexTests.Corpus(n, seed);

    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-hnsw-index").FullName, "idx");

    private static IndexManifest Build(string folder, TableModel model, IReadOnlyList<IndexRecord> records, HnswOptions? hnsw,
        EmbeddingPrecision precision = EmbeddingPrecision.Float32, Ivf.IvfOptions? ivf = null) =>
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, precision, ivf, hnsw);

    private static string[] Ids(SearchIndex index, float[] q, int k, int ef = 0) =>
        [.. index.Search("x", q, SearchMode.Dense, k, null, 2, 0, ef).Select(h => h.Record.Id)];

    [Fact]
    public void ASearchKeepingEveryRowEqualsTheExactIndexAndTheDefaultFindsMost()
    {
        var (model, records, queries) = Corpus(1500);
        string exactFolder = Folder(), hnswFolder = Folder();
        Build(exactFolder, model, records, null);
        var manifest = Build(hnswFolder, model, records, new HnswOptions { M = 8, EfConstruction = 60, EfSearch = 40 });
        Assert.Equal((8, 60, 40), (manifest.HnswM, manifest.HnswEfConstruction, manifest.HnswEf));
        Assert.True(File.Exists(Path.Combine(hnswFolder, IndexWriter.HnswFile)));
        using var exact = SearchIndex.Open(exactFolder);
        using var hnsw = SearchIndex.Open(hnswFolder);
        Assert.Equal(1500, hnsw.Graph!.Count);
        Assert.Null(hnsw.Graph.Problem());
        Assert.Equal(records.Select(r => r.Id), hnsw.Records.Select(r => r.Id)); // node i is row i, in input order
        double found = 0;
        foreach (var q in queries)
        {
            Assert.Equal(Ids(exact, q, 10), Ids(hnsw, q, 10, ef: 1500));
            found += Ids(exact, q, 10).Intersect(Ids(hnsw, q, 10)).Count() / 10.0 / queries.Length;
        }
        Assert.True(found >= 0.9, $"recall@10 {found:F3} at the index's ef 40");
        var hybrid = hnsw.Search("tekst emne 3", queries[0], SearchMode.Hybrid, 5, null, 2, 0, 1500);
        Assert.Equal(exact.Search("tekst emne 3", queries[0], SearchMode.Hybrid, 5).Select(h => h.Record.Id), hybrid.Select(h => h.Record.Id));
    }

    [Fact]
    public void DeletedRowsAreNeverReturnedAndAddedRowsAreInsertedOrTheGraphIsBuiltAgain()
    {
        var (model, records, queries) = Corpus(1000, seed: 2);
        string folder = Folder();
        Build(folder, model, records[..800], new HnswOptions { M = 8, EfConstruction = 60 });
        // Nothing dropped: the saved graph grows, its first 800 nodes' levels and entry as they were.
        Assert.Equal((100, 0), IndexBuilder.Add(folder, model, records[800..900]));
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(900, index.Graph!.Count);
            Assert.Null(index.Graph.Problem());
            Assert.Equal(Enumerable.Range(0, 900).Select(i => HnswGraph.LevelFor(index.Graph.Seed, i, 8)), Enumerable.Range(0, 900).Select(index.Graph.Level));
            string exactFolder = Folder();
            Build(exactFolder, model, records[..900], null);
            using var exact = SearchIndex.Open(exactFolder);
            foreach (var q in queries) Assert.Equal(Ids(exact, q, 10), Ids(index, q, 10, ef: 900));
        }
        Assert.Equal(4, IndexBuilder.Delete(folder, ["doc10"], [])); // rows r40..r43
        using (var index = SearchIndex.Open(folder))
            foreach (var q in queries)
            {
                var hits = Ids(index, q, 30, ef: 900);
                Assert.Equal(30, hits.Length);
                Assert.DoesNotContain(hits, id => id is "r40" or "r41" or "r42" or "r43");
            }
        // Rows dropped (doc10 deleted, doc0 replaced), 8 of 1000: they stay in the graph as tombstones, the new rows are
        // inserted into it (no rebuild: every node keeps its row), and searches return live rows only.
        var replacement = records[900..].Select(r => r with { Document = r.Id == "r900" ? "doc0" : r.Document }).ToList();
        Assert.Equal((100, 4), IndexBuilder.Add(folder, model, replacement));
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(1000, index.Graph!.Count);
            Assert.Null(index.Graph.Problem());
            Assert.Equal(["r0", "r1", "r2", "r3", "r40", "r41", "r42", "r43"], index.Deleted.Order().Select(r => index.Records[r].Id));
            Assert.Equal(records[..900].Select(r => r.Id), index.Records.Take(900).Select(r => r.Id));
            var live = Enumerable.Range(0, index.Records.Count).Where(r => !index.Deleted.Contains(r)).Select(r => index.Records[r]).ToList();
            Assert.Equal(992, live.Count);
            string exactFolder = Folder();
            Build(exactFolder, model, live, null);
            using var exact = SearchIndex.Open(exactFolder);
            foreach (var q in queries) Assert.Equal(Ids(exact, q, 10), Ids(index, q, 10, ef: 1000));
        }
        // Past a quarter of the rows deleted, the next add compacts them and builds the graph again.
        Assert.Equal(260, IndexBuilder.Delete(folder, [.. Enumerable.Range(100, 65).Select(d => $"doc{d}")], []));
        var last = Enumerable.Range(1000, 4).Select(i => $"tekst nummer {i} om emne {i % 7}") // texts the model knows, beyond the 1000 indexed
            .Select((t, i) => new IndexRecord($"n{i}", "new", "new.txt", 0, t.Length, "", t)).ToList();
        Assert.Equal((4, 0), IndexBuilder.Add(folder, model, last));
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(1000 - 8 - 260 + 4, index.Graph!.Count);
            Assert.Empty(index.Deleted);
            Assert.Null(index.Graph.Problem());
            string exactFolder = Folder();
            Build(exactFolder, model, index.Records.ToList(), null);
            using var exact = SearchIndex.Open(exactFolder);
            foreach (var q in queries) Assert.Equal(Ids(exact, q, 10), Ids(index, q, 10, ef: 1000));
        }
    }

    /// <summary>
    /// An HNSW index of quantized rows walks them in their own format and rescores the best with the float rows: with ef
    /// covering every row it returns what the exact quantized index returns; at the default ef it finds most of the float
    /// index's hits; rows added later are quantized with the index's ranges and inserted.
    /// </summary>
    [Theory]
    [InlineData(EmbeddingPrecision.Int8)]
    [InlineData(EmbeddingPrecision.Uint8)]
    [InlineData(EmbeddingPrecision.Ubinary)]
    public void QuantizedRowsAreWalkedAndRescored(EmbeddingPrecision precision)
    {
        var (model, records, queries) = Corpus(1200, seed: 3);
        string exactFolder = Folder(), hnswFolder = Folder(), floatFolder = Folder();
        Build(exactFolder, model, records, null, precision);
        Build(floatFolder, model, records, null);
        var manifest = Build(hnswFolder, model, records, new HnswOptions { M = 8, EfConstruction = 60 }, precision);
        Assert.Equal((8, EmbeddingQuantizer.Name(precision)), (manifest.HnswM, manifest.Precision));
        double found = 0, baseline = 0;
        using (var exact = SearchIndex.Open(exactFolder))
        using (var plain = SearchIndex.Open(floatFolder))
        using (var hnsw = SearchIndex.Open(hnswFolder))
        {
            Assert.NotNull(hnsw.Graph);
            foreach (var q in queries)
            {
                Assert.Equal(Ids(exact, q, 10), Ids(hnsw, q, 10, ef: 1200));
                found += Ids(exact, q, 10).Intersect(Ids(hnsw, q, 10)).Count() / 10.0 / queries.Length;
                baseline += Ids(plain, q, 10).Intersect(Ids(exact, q, 10)).Count() / 10.0 / queries.Length;
            }
        }
        Assert.True(found >= 0.85, $"recall@10 against the exact {precision} index {found:F3} at the default ef (exact {precision} against float: {baseline:F3})");
        var extra = Enumerable.Range(1200, 12).Select(i => $"tekst nummer {i} om emne {i % 7}")
            .Select((t, i) => new IndexRecord($"n{i}", "new", "new.txt", 0, t.Length, "", t)).ToList();
        IndexBuilder.Add(hnswFolder, model, extra);
        IndexBuilder.Add(exactFolder, model, extra);
        using (var exact = SearchIndex.Open(exactFolder))
        using (var hnsw = SearchIndex.Open(hnswFolder))
        {
            Assert.Equal(1212, hnsw.Graph!.Count);
            Assert.Equal(exact.Manifest.QuantizationMin, hnsw.Manifest.QuantizationMin); // the ranges the index was built with
            foreach (var q in queries) Assert.Equal(Ids(exact, q, 10), Ids(hnsw, q, 10, ef: 1212));
        }
    }

    [Fact]
    public void ImpossibleSettingsAndDamagedFilesAreNamed()
    {
        var (model, records, _) = Corpus(60);
        string Refused(HnswOptions hnsw, EmbeddingPrecision precision = EmbeddingPrecision.Float32, Ivf.IvfOptions? ivf = null) =>
            Assert.Throws<EvaluationException>(() => Build(Folder(), model, records, hnsw, precision, ivf)).Message;
        Assert.Contains("--hnsw and --ivf-lists are two kinds of approximate index; choose one", Refused(new HnswOptions(), ivf: new Ivf.IvfOptions()));
        Assert.Contains("HNSW M 1 is not in 2–100", Refused(new HnswOptions { M = 1 }));
        string folder = Folder();
        Build(folder, model, records, new HnswOptions { M = 4 });
        string path = Path.Combine(folder, IndexWriter.HnswFile);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..40]);
        var damaged = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.StartsWith(path + ": ", damaged.Message);
        File.Delete(path);
        Assert.Contains("missing", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }

    [Fact]
    public void DenseRetrieverWithAGraphAnswersAsAnHnswIndex()
    {
        var (model, records, queries) = Corpus(1200, seed: 5);
        var corpus = records.Select(r => new Models.CorpusDocument(r.Id, "", r.Text)).ToList();
        var texts = Enumerable.Range(0, queries.Length).Select(i => $"spørsmål {i}").ToList();
        var exact = new DenseRetriever(model).Search(corpus, texts, 10, null);
        var whole = new DenseRetriever(model, hnsw: new HnswOptions { M = 6, EfConstruction = 30, EfSearch = 1200 }).Search(corpus, texts, 10, null);
        var small = new DenseRetriever(model, hnsw: new HnswOptions { M = 6, EfConstruction = 30, EfSearch = 10 });
        Assert.Equal("HNSW top-k (M 6, ef construction 30, ef 10), cosine", small.Metadata["search"]);
        var few = small.Search(corpus, texts, 10, null);
        // The graph the retriever builds (one thread, the same seed), searched here with the same ef: the same hits.
        var vectors = ExactSearch.Normalize(model.Embed([.. records.Select(r => r.Text)], Models.TextRole.Document));
        var graph = HnswGraph.Build(vectors.Length, r => vectors[r], new HnswOptions { M = 6, EfConstruction = 30, Threads = 1 });
        var expected = HnswSearch.TopK(ExactSearch.Normalize([.. queries]), graph, r => vectors[r], 10, 10);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(exact[q].Select(h => h.Index), whole[q].Select(h => h.Index));
            Assert.Equal(expected[q].Select(h => h.Index), few[q].Select(h => h.Index));
        }
        Assert.Contains("choose one", Assert.Throws<EvaluationException>(() =>
            new DenseRetriever(model, ivf: new Ivf.IvfOptions(), hnsw: new HnswOptions()).Search(corpus, texts, 10, null)).Message);
    }

    [Fact]
    public void DenseRetrieverWithAGraphOverQuantizedRowsAnswersAsTheExactQuantizedSearchWhenEfCoversEveryRow()
    {
        var (model, records, queries) = Corpus(900, seed: 6);
        var corpus = records.Select(r => new Models.CorpusDocument(r.Id, "", r.Text)).ToList();
        var texts = Enumerable.Range(0, queries.Length).Select(i => $"spørsmål {i}").ToList();
        var int8 = new QuantizedSearchOptions(EmbeddingPrecision.Int8, 4);
        var exact = new DenseRetriever(model, quantization: int8).Search(corpus, texts, 10, null);
        var whole = new DenseRetriever(model, quantization: int8, hnsw: new HnswOptions { M = 6, EfConstruction = 30, EfSearch = 900 });
        Assert.Contains("HNSW", whole.Metadata["search"]);
        var hits = whole.Search(corpus, texts, 10, null);
        for (int q = 0; q < queries.Length; q++) Assert.Equal(exact[q].Select(h => h.Index), hits[q].Select(h => h.Index));
    }
}
