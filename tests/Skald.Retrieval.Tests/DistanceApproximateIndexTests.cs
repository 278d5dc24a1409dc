using Skald.Models.Modules;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using static Skald.Retrieval.Tests.DistanceIndexTests;

namespace Skald.Retrieval.Tests;

/// <summary>
/// An IVF or HNSW index of a Euclidean or Manhattan model ranks by the model's distance: index.json records it, the raw
/// rows are stored, and a search that probes every list (an ef of the whole corpus) returns the exact search's hits and
/// scores — float rows by the distance computed here in double, int8 / uint8 rows by the distance of their dequantized
/// values as fixtures/quantization/make_quantized_distance.py (numpy) gives it, binary and PQ rows rescored by the float
/// rows' distance; reindexing with a graph or lists keeps the distance, and an index that recorded cosine stays cosine.
/// </summary>
public sealed class DistanceApproximateIndexTests
{
    private static readonly ReferenceJson Reference = new("quantization", "quantized_distance.json");

    /// <summary>Both distances under both structures.</summary>
    public static TheoryData<string, string> Layouts => new()
    {
        { "euclidean", "ivf" }, { "manhattan", "ivf" }, { "euclidean", "hnsw" }, { "manhattan", "hnsw" },
    };

    private static IndexManifest BuildAs(string layout, string folder, TableModel model, List<IndexRecord> records,
        EmbeddingPrecision precision = EmbeddingPrecision.Float32, ProductQuantizerOptions? pq = null) => layout == "ivf"
        ? Build(folder, model, records, precision, pq, ivf: new IvfOptions { Lists = 4, Probes = 1, Training = new KMeansOptions { Seed = 7 } })
        : Build(folder, model, records, precision, pq, hnsw: new HnswOptions { M = 4, EfConstruction = 16, EfSearch = 4 });

    /// <summary>The fixture's corpus indexed under <paramref name="layout"/> by a model of <paramref name="similarityName"/> (recorded so), opened.</summary>
    private static (SimilarityFunction Similarity, float[][] Corpus, float[][] Queries, SearchIndex Index) Opened(string similarityName, string layout,
        EmbeddingPrecision precision = EmbeddingPrecision.Float32, ProductQuantizerOptions? pq = null)
    {
        var similarity = Function(similarityName);
        var (model, records, corpus, queries) = Corpus(similarity);
        string folder = Folder();
        Assert.Equal(similarityName, BuildAs(layout, folder, model, records, precision, pq).Similarity);
        return (similarity, corpus, queries, SearchIndex.Open(folder));
    }

    /// <summary>A dense search that reaches every row: all four lists probed, an ef of the whole corpus (40).</summary>
    private static IReadOnlyList<IndexHit> Everywhere(SearchIndex index, float[] q, int k, int rescore) =>
        index.Search("x", q, SearchMode.Dense, k, rescoreMultiplier: rescore, probes: 4, ef: 40);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void FloatRowsSearchedEverywhereRankAsTheExactDistance(string similarityName, string layout)
    {
        var (similarity, corpus, queries, index) = Opened(similarityName, layout);
        using var _ = index;
        Assert.False(index.Normalized);
        Assert.Equal(similarity, index.Lists?.Similarity ?? index.Graph!.Similarity);
        var stored = Enumerable.Range(0, corpus.Length).Select(r => index.Vector(r).ToArray()).ToArray();
        foreach (var row in corpus) Assert.Contains(stored, s => s.SequenceEqual(row)); // raw, in the lists' order for IVF
        foreach (var q in queries)
        {
            var hits = Everywhere(index, q, 8, 0);
            Assert.Equal(Ranked(similarity, q, stored, 8), hits.Select(h => h.Row).ToArray());
            foreach (var h in hits) Near(Negated(similarity, q, stored[h.Row]), h.Score, 1e-4);
        }
    }

    [Theory]
    [InlineData("euclidean", "ivf", "int8")]
    [InlineData("manhattan", "ivf", "uint8")]
    [InlineData("euclidean", "hnsw", "uint8")]
    [InlineData("manhattan", "hnsw", "int8")]
    public void LevelRowsSearchedEverywhereRankByTheirDequantizedDistanceAsNumpy(string similarityName, string layout, string precisionName)
    {
        var c = QuantizedDistanceSearchTests.Case(precisionName, similarityName);
        var (similarity, corpus, queries, index) = Opened(similarityName, layout, EmbeddingQuantizer.Parse(precisionName));
        using var _ = index;
        int k = Reference.Int("k");
        var ranking = ReferenceJson.IntMatrix(c.GetProperty("ranking"));
        var distances = c.GetProperty("distances").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int Original(IndexHit h) => int.Parse(h.Record.Id[1..], System.Globalization.CultureInfo.InvariantCulture); // "r12": corpus row 12
        for (int q = 0; q < queries.Length; q++)
        {
            var plain = Everywhere(index, queries[q], k, 0);
            Assert.Equal(ranking[q][..k], plain.Select(Original).ToArray());
            foreach (var h in plain) Near(-distances[q][Original(h)], h.Score, 1e-4);
            var rescored = Everywhere(index, queries[q], k, corpus.Length);
            Assert.Equal(Ranked(similarity, queries[q], corpus, k), rescored.Select(Original).ToArray());
            foreach (var h in rescored) Near(Negated(similarity, queries[q], corpus[Original(h)]), h.Score, 1e-4);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void BinaryRowsAndPqCodesSearchedEverywhereAreRescoredByTheFloatDistance(string similarityName, string layout)
    {
        foreach (var (precision, pq) in new[] { (EmbeddingPrecision.Binary, (ProductQuantizerOptions?)null), (EmbeddingPrecision.Float32, new ProductQuantizerOptions { Subspaces = 4, Bits = 4 }) })
        {
            var (similarity, corpus, queries, index) = Opened(similarityName, layout, precision, pq);
            using var _ = index;
            foreach (var q in queries)
            {
                var hits = Everywhere(index, q, 6, corpus.Length);
                var expected = Ranked(similarity, q, corpus, 6);
                Assert.Equal(expected.Select(r => $"r{r}"), hits.Select(h => h.Record.Id));
                foreach (var (h, r) in hits.Zip(expected)) Near(Negated(similarity, q, corpus[r]), h.Score, 1e-4);
            }
        }
    }

    /// <summary>
    /// Unrescored PQ codes score as their reconstructions' distance: in a graph the decoded code, in IVF lists (codes of
    /// residuals) the list's centroid plus the decoded residual, both rebuilt here from the stored rows.
    /// </summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void UnrescoredPqCodesScoreAsTheirReconstructionsDistance(string similarityName, string layout)
    {
        var (similarity, _, queries, index) = Opened(similarityName, layout, pq: new ProductQuantizerOptions { Subspaces = 4, Bits = 4 });
        using var _ = index;
        var pq = index.ProductQuantizer!;
        int dim = pq.Dimension;
        var rebuilt = new float[index.Records.Count][];
        var code = new byte[pq.Subspaces];
        for (int r = 0; r < rebuilt.Length; r++)
        {
            var row = index.Vector(r).ToArray();
            var centroid = index.Lists is { } lists ? lists.Centroids.Slice(lists.ListOf(r) * dim, dim).ToArray() : new float[dim];
            pq.Encode([.. row.Select((v, i) => v - centroid[i])], 1, code);
            pq.Decode(code, rebuilt[r] = new float[dim]);
            for (int i = 0; i < dim; i++) rebuilt[r][i] += centroid[i];
        }
        foreach (var q in queries)
        {
            var plain = Everywhere(index, q, 6, 0);
            var expected = Ranked(similarity, q, rebuilt, 6);
            for (int i = 0; i < plain.Count; i++) Near(Negated(similarity, q, rebuilt[expected[i]]), plain[i].Score, 1e-3); // ties: compare scores
            foreach (var h in plain) Near(Negated(similarity, q, rebuilt[h.Row]), h.Score, 1e-3);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void ReindexWithAGraphOrListsKeepsTheDistanceAndAddedRowsRankWithTheRest(string similarityName, string layout)
    {
        var similarity = Function(similarityName);
        var (model, records, corpus, queries) = Corpus(similarity);
        string folder = Folder();
        Build(folder, model, [.. records.Take(30)]);
        var relaid = layout == "ivf" ? new DenseLayout { Ivf = new IvfOptions { Lists = 3 } } : new DenseLayout { Hnsw = new HnswOptions { M = 4 } };
        Assert.Equal(similarityName, IndexBuilder.Reindex(folder, relaid).Similarity);
        IndexBuilder.Add(folder, model, [.. records.Skip(30)]); // rows into their nearest lists, or linked into the graph
        using var index = SearchIndex.Open(folder);
        Assert.Equal(similarityName, index.Manifest.Similarity);
        Assert.Equal(layout == "ivf", index.Lists is not null);
        foreach (var q in queries)
        {
            var hits = Everywhere(index, q, 6, 0);
            Assert.Equal(Ranked(similarity, q, corpus, 6).Select(r => $"r{r}"), hits.Select(h => h.Record.Id));
        }
    }

    /// <summary>
    /// Deleted rows' graph nodes given new rows in place (<c>index add --replace-deleted</c>: the graph relinked by the
    /// distance) leave a graph whose search as wide as the index ranks the live rows as the exact distance does.
    /// </summary>
    [Theory]
    [InlineData("euclidean")]
    [InlineData("manhattan")]
    public void ADistanceGraphsReusedSlotsAreRelinkedByTheDistance(string similarityName)
    {
        var similarity = Function(similarityName);
        var (model, records, corpus, queries) = Corpus(similarity);
        string folder = Folder();
        Build(folder, model, [.. records.Take(30)], hnsw: new HnswOptions { M = 4, EfConstruction = 16, ReplaceDeleted = true });
        Assert.Equal(8, IndexBuilder.Delete(folder, [.. Enumerable.Range(0, 8).Select(i => $"doc{3 * i}")], []));
        Assert.Equal((10, 0), IndexBuilder.Add(folder, model, [.. records.Skip(30)], replaceDeleted: true));
        using var index = SearchIndex.Open(folder);
        Assert.Equal(similarityName, index.Manifest.Similarity);
        Assert.Equal(32, index.LiveCount);
        int[] live = [.. Enumerable.Range(0, 40).Where(r => r >= 30 || r % 3 != 0 || r >= 24)];
        foreach (var q in queries)
        {
            var hits = Everywhere(index, q, 6, 0);
            var expected = Ranked(similarity, q, [.. live.Select(r => corpus[r])], 6).Select(i => $"r{live[i]}");
            Assert.Equal(expected, hits.Select(h => h.Record.Id));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("ivf")]
    [InlineData("hnsw")]
    public void ManhattanBesideRotatedCodesIsOneLineNamingTheManifestAtOpen(string layout)
    {
        var (model, records, _, _) = Corpus(SimilarityFunction.Euclidean);
        string folder = Folder();
        var pq = new ProductQuantizerOptions { Subspaces = 4, Bits = 4, RotationRounds = 2 }; // a rotation keeps Euclidean distances
        if (layout == "") Build(folder, model, records, pq: pq);
        else BuildAs(layout, folder, model, records, pq: pq);
        string manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"similarity\": \"euclidean\"", "\"similarity\": \"manhattan\"", StringComparison.Ordinal));
        var e = Assert.Throws<EvaluationException>(() => SearchIndex.Open(folder).Dispose());
        Assert.StartsWith($"{manifest}: similarity \"manhattan\" beside codes it cannot rank by (--opq", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AnIndexThatRecordedCosineStaysCosineWhenReindexed()
    {
        var (model, records, _, _) = Corpus(SimilarityFunction.Euclidean);
        string folder = Folder();
        Build(folder, model, records);
        string manifest = Path.Combine(folder, IndexWriter.ManifestFile);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"similarity\": \"euclidean\"", "\"similarity\": \"cosine\"", StringComparison.Ordinal));
        Assert.Equal("cosine", IndexBuilder.Reindex(folder, new DenseLayout { Hnsw = new HnswOptions { M = 4 } }).Similarity);
        Assert.Equal("cosine", IndexBuilder.Reindex(folder, new DenseLayout { Ivf = new IvfOptions { Lists = 2 } }).Similarity);
        using var index = SearchIndex.Open(folder);
        Assert.True(index.Normalized);
        Assert.Equal(SimilarityFunction.Dot, index.Lists!.Similarity);
    }
}
