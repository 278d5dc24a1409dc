using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Index folders with inverted lists (<c>index build --ivf-lists</c>): rows stored grouped by nearest centroid, dense
/// search over every list equal to an exact index's, hits only from probed lists, <c>index add</c> keeping the lists
/// consistent, quantized IVF, and damaged or impossible input named.
/// </summary>
public sealed class IvfIndexTests
{
    private const int Dim = 16;

    /// <summary>n records of 25 clustered topics (four rows per document) and 12 queries, all through one table model.</summary>
    internal static (TableModel Model, List<IndexRecord> Records, float[][] Queries) Corpus(int n, int seed = 1)
    {
        var (rows, queries) = IvfTests.Clustered(seed, n + 12, Dim, clusters: 25, nq: 12);
        var vectors = new Dictionary<string, float[]>();
        var records = new List<IndexRecord>();
        for (int i = 0; i < n + 12; i++)
        {
            string text = $"tekst nummer {i} om emne {i % 7}";
            vectors[text] = rows[i];
            if (i < n) records.Add(new IndexRecord($"r{i}", $"doc{i / 4}", $"doc{i / 4}.txt", 0, text.Length, "", text));
        }
        for (int i = 0; i < queries.Length; i++) vectors[$"spørsmål {i}"] = queries[i];
        return (new TableModel(vectors), records, queries);
    }

    private static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-ivf-index").FullName, "idx");

    private static IndexManifest Build(string folder, TableModel model, List<IndexRecord> records, IvfOptions? ivf,
        EmbeddingPrecision precision = EmbeddingPrecision.Float32) =>
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, precision, ivf);

    private static string[] Ids(SearchIndex index, float[] q, int k, int probes = 0) =>
        [.. index.Search("x", q, SearchMode.Dense, k, null, 2, probes).Select(h => h.Record.Id)];

    [Fact]
    public void RowsAreGroupedByNearestCentroidAndAllProbesIsTheExactIndex()
    {
        var (model, records, queries) = Corpus(1500);
        string exactFolder = Folder(), ivfFolder = Folder();
        Build(exactFolder, model, records, null);
        var manifest = Build(ivfFolder, model, records, new IvfOptions { Lists = 24, Probes = 2 });
        Assert.Equal(24, manifest.IvfLists);
        Assert.Equal(2, manifest.IvfProbes);
        Assert.True(File.Exists(Path.Combine(ivfFolder, IndexWriter.IvfFile)));
        using var exact = SearchIndex.Open(exactFolder);
        using var ivf = SearchIndex.Open(ivfFolder);
        var lists = ivf.Lists!;
        var stored = Enumerable.Range(0, ivf.Records.Count).Select(r => ivf.Vector(r).ToArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, stored.Length).Select(lists.ListOf), lists.Assign(stored));
        Assert.Equal(records.Select(r => r.Id).Order(), ivf.Records.Select(r => r.Id).Order());
        foreach (var q in queries)
        {
            Assert.Equal(Ids(exact, q, 10), Ids(ivf, q, 10, probes: 24));
            var probed = new int[2];
            lists.Probe(ExactSearch.Normalize([q])[0], probed);
            foreach (var hit in ivf.Search("x", q, SearchMode.Dense, 10))
                Assert.Contains(lists.ListOf(hit.Row), probed);
        }
        var hybrid = ivf.Search("tekst emne 3", queries[0], SearchMode.Hybrid, 5, null, 2, 24);
        Assert.Equal(exact.Search("tekst emne 3", queries[0], SearchMode.Hybrid, 5).Select(h => h.Record.Id), hybrid.Select(h => h.Record.Id));
    }

    [Fact]
    public void AddedRowsJoinTheirNearestListsAndDeletedOnesLeave()
    {
        var (model, records, queries) = Corpus(900);
        string folder = Folder();
        Build(folder, model, records[..800], new IvfOptions { Lists = 16, Probes = 3 });
        Assert.Equal(4, IndexBuilder.Delete(folder, ["doc10"], [])); // doc10 has rows r40..r43
        var replacement = records[800..].Select(r => r with { Document = r.Id == "r800" ? "doc0" : r.Document }).ToList();
        var (added, replaced) = IndexBuilder.Add(folder, model, replacement);
        Assert.Equal(100, added);
        Assert.Equal(4, replaced); // doc0's rows r0..r3
        using var index = SearchIndex.Open(folder);
        Assert.Equal(3, index.Manifest.IvfProbes);
        Assert.Equal(800 - 4 - 4 + 100, index.Records.Count);
        var lists = index.Lists!;
        var stored = Enumerable.Range(0, index.Records.Count).Select(r => index.Vector(r).ToArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, stored.Length).Select(lists.ListOf), lists.Assign(stored));
        var live = index.Records.Select(r => r.Id).ToHashSet();
        Assert.DoesNotContain("r41", live);
        Assert.DoesNotContain("r2", live);
        Assert.Contains("r850", live);
        // Every list probed: brute force over the live rows.
        var text = records.ToDictionary(r => r.Id, r => model.Embed([r.Text], Models.TextRole.Document)[0]);
        foreach (var q in queries)
        {
            var nq = ExactSearch.Normalize([q])[0];
            var expected = live.OrderByDescending(id => System.Numerics.Tensors.TensorPrimitives.Dot(nq, ExactSearch.Normalize([text[id]])[0]))
                .Take(5).ToArray();
            Assert.Equal(expected, Ids(index, q, 5, probes: 16));
        }
    }

    [Fact]
    public void QuantizedIvfIndexProbingEveryListEqualsTheQuantizedExactIndex()
    {
        var (model, records, queries) = Corpus(1000, seed: 3);
        string exactFolder = Folder(), ivfFolder = Folder();
        Build(exactFolder, model, records, null, EmbeddingPrecision.Int8);
        Build(ivfFolder, model, records, new IvfOptions { Lists = 20 }, EmbeddingPrecision.Int8);
        using var exact = SearchIndex.Open(exactFolder);
        using var ivf = SearchIndex.Open(ivfFolder);
        Assert.True(File.Exists(Path.Combine(ivfFolder, IndexWriter.QuantizedFile)));
        foreach (var q in queries) Assert.Equal(Ids(exact, q, 10), Ids(ivf, q, 10, probes: 20));
    }

    [Fact]
    public void DenseRetrieverWithListsAnswersAsAnIvfIndex()
    {
        var (model, records, queries) = Corpus(1200, seed: 5);
        var corpus = records.Select(r => new Models.CorpusDocument(r.Id, "", r.Text)).ToList();
        var texts = Enumerable.Range(0, queries.Length).Select(i => $"spørsmål {i}").ToList();
        var exact = new DenseRetriever(model).Search(corpus, texts, 10, null);
        var all = new DenseRetriever(model, ivf: new IvfOptions { Lists = 16, Probes = 16 }).Search(corpus, texts, 10, null);
        var one = new DenseRetriever(model, ivf: new IvfOptions { Lists = 16, Probes = 1 });
        var few = one.Search(corpus, texts, 10, null);
        Assert.Contains("IVF top-k (16 lists, 1 probed)", one.Metadata["search"]);
        // The metadata says what the search used: lists capped at the documents, probes at the lists, automatic counts.
        var small = corpus.Take(30).ToList();
        var capped = new DenseRetriever(model, ivf: new IvfOptions { Lists = 1000, Probes = 2000 });
        Assert.Contains("IVF top-k (1000 lists, 2000 probed)", capped.Metadata["search"]); // before a search: as asked
        capped.Search(small, texts, 10, null);
        Assert.Contains("IVF top-k (30 lists (1000 asked, at most one per document), 30 probed (2000 asked, at most every list))",
            capped.Metadata["search"]);
        var auto = new DenseRetriever(model, ivf: new IvfOptions());
        auto.Search(corpus, texts, 10, null);
        int autoLists = InvertedLists.AutoLists(corpus.Count);
        Assert.Contains($"IVF top-k ({autoLists} lists (4·√N), {InvertedLists.AutoProbes(autoLists)} probed (a sixteenth, at least 8))",
            auto.Metadata["search"]);
        // The lists a query probes, trained as the retriever trains them (same seed): hits come from its nearest list only.
        var vectors = ExactSearch.Normalize(model.Embed([.. records.Select(r => r.Text)], Models.TextRole.Document));
        var lists = InvertedLists.Train(vectors, 16, null, out var order);
        var listOf = new int[order.Length];
        for (int r = 0; r < order.Length; r++) listOf[order[r]] = lists.ListOf(r);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(exact[q].Select(h => h.Index), all[q].Select(h => h.Index)); // scores: the GEMM's sums against the scan's
            Assert.All(exact[q].Zip(all[q]), p => Assert.Equal(p.First.Score, p.Second.Score, 1e-5f));
            var probed = new int[1];
            lists.Probe(ExactSearch.Normalize([queries[q]])[0], probed);
            Assert.All(few[q], h => Assert.Equal(probed[0], listOf[h.Index]));
            var inList = exact[q].Where(h => listOf[h.Index] == probed[0]).Select(h => h.Index).ToArray();
            Assert.Equal(inList, few[q].Select(h => h.Index).Take(inList.Length)); // exact order within the list
        }
    }

    [Fact]
    public void ImpossibleListsAndDamagedFilesAreNamed()
    {
        var (model, records, _) = Corpus(50);
        var e = Assert.Throws<EvaluationException>(() => Build(Folder(), model, records, new IvfOptions { Lists = 51 }));
        Assert.Contains("51 IVF lists need at least as many rows, and there are 50", e.Message);
        string folder = Folder();
        Build(folder, model, records, new IvfOptions());
        using (var index = SearchIndex.Open(folder)) Assert.Equal(1, index.Manifest.IvfLists); // 50 / 39
        string ivf = Path.Combine(folder, IndexWriter.IvfFile);
        File.WriteAllBytes(ivf, File.ReadAllBytes(ivf)[..20]);
        var damaged = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder));
        Assert.StartsWith(ivf, damaged.Message);
        File.Delete(ivf);
        Assert.Contains("missing", Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder)).Message);
    }
}
