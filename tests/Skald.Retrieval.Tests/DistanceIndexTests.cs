using Skald.Models.Modules;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Index;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// An index of a Euclidean or Manhattan model records its similarity, stores the raw rows and ranks by the model's
/// negated distance: float rows exactly, int8 / uint8 rows by the distance of their dequantized values
/// (fixtures/quantization/make_quantized_distance.py, numpy), PQ codes by their reconstructions' distance, binary rows
/// proposing by Hamming distance, every rescored hit by the float rows' distance (computed here in double).
/// </summary>
public sealed class DistanceIndexTests
{
    private static readonly ReferenceJson Reference = new("quantization", "quantized_distance.json");

    internal static string Folder() => Path.Combine(Directory.CreateTempSubdirectory("skald-distance-index").FullName, "idx");

    internal static SimilarityFunction Function(string name) => name == "euclidean" ? SimilarityFunction.Euclidean : SimilarityFunction.Manhattan;

    /// <summary>The fixture's corpus as records of a table model of <paramref name="similarity"/>, and its queries.</summary>
    internal static (TableModel Model, List<IndexRecord> Records, float[][] Corpus, float[][] Queries) Corpus(SimilarityFunction similarity)
    {
        var corpus = ReferenceJson.Matrix(Reference["corpus"]);
        var vectors = new Dictionary<string, float[]>();
        var records = new List<IndexRecord>();
        for (int i = 0; i < corpus.Length; i++)
        {
            string text = $"rad {i}";
            vectors[text] = corpus[i];
            records.Add(new IndexRecord($"r{i}", $"doc{i}", $"doc{i}.txt", 0, text.Length, "", text));
        }
        return (new TableModel(vectors, similarity), records, corpus, ReferenceJson.Matrix(Reference["queries"]));
    }

    internal static IndexManifest Build(string folder, TableModel model, List<IndexRecord> records,
        EmbeddingPrecision precision = EmbeddingPrecision.Float32, ProductQuantizerOptions? pq = null, HnswOptions? hnsw = null, Ivf.IvfOptions? ivf = null) =>
        IndexBuilder.Build(folder, model, folder, records, new Bm25Options(), "nb", 0, 0, null, precision, ivf, hnsw, pq: pq);

    /// <summary>The negated distance of two vectors, in double.</summary>
    internal static double Negated(SimilarityFunction similarity, float[] a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = (double)a[i] - b[i];
            sum += similarity == SimilarityFunction.Euclidean ? d * d : Math.Abs(d);
        }
        return similarity == SimilarityFunction.Euclidean ? -Math.Sqrt(sum) : -sum;
    }

    internal static void Near(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) < tolerance, $"{actual} != {expected}");

    /// <summary>Rows best first by their negated distance to <paramref name="q"/> (equal: the lower row).</summary>
    internal static int[] Ranked(SimilarityFunction similarity, float[] q, IReadOnlyList<float[]> rows, int k) =>
        [.. Enumerable.Range(0, rows.Count).OrderByDescending(r => Negated(similarity, q, rows[r])).ThenBy(r => r).Take(k)];

    [Theory]
    [MemberData(nameof(QuantizedDistanceSearchTests.Cases), MemberType = typeof(QuantizedDistanceSearchTests))]
    public void LevelRowsRankByTheirDequantizedDistanceAsNumpyAndRescoreByTheFloatRows(string precisionName, string similarityName)
    {
        var c = QuantizedDistanceSearchTests.Case(precisionName, similarityName);
        var similarity = Function(similarityName);
        var (model, records, corpus, queries) = Corpus(similarity);
        string folder = Folder();
        var manifest = Build(folder, model, records, EmbeddingQuantizer.Parse(precisionName));
        Assert.Equal(similarityName, manifest.Similarity);
        using var index = SearchIndex.Open(folder);
        Assert.False(index.Normalized);
        int k = Reference.Int("k");
        var ranking = ReferenceJson.IntMatrix(c.GetProperty("ranking"));
        var distances = c.GetProperty("distances").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        for (int q = 0; q < queries.Length; q++)
        {
            var plain = index.Search("x", queries[q], SearchMode.Dense, k, rescoreMultiplier: 0);
            Assert.Equal(ranking[q][..k], plain.Select(h => h.Row).ToArray());
            foreach (var h in plain) Assert.True(Math.Abs(-distances[q][h.Row] - h.Score) < 1e-4, $"query {q} row {h.Row}: {h.Score} != {-distances[q][h.Row]}");
            // Rescoring every row (k·m ≥ the corpus) ranks as the float rows do, with their distances.
            var rescored = index.Search("x", queries[q], SearchMode.Dense, k, rescoreMultiplier: corpus.Length);
            Assert.Equal(Ranked(similarity, queries[q], corpus, k), rescored.Select(h => h.Row).ToArray());
            foreach (var h in rescored) Near(Negated(similarity, queries[q], corpus[h.Row]), h.Score, 1e-4);
        }
    }

    [Theory]
    [InlineData("euclidean", "float32")]
    [InlineData("manhattan", "float32")]
    [InlineData("euclidean", "ubinary")]
    [InlineData("manhattan", "binary")]
    public void FloatRowsAreStoredRawAndRankByTheDistanceAsBinaryRowsRescoredAre(string similarityName, string precisionName)
    {
        var similarity = Function(similarityName);
        var (model, records, corpus, queries) = Corpus(similarity);
        string folder = Folder();
        Build(folder, model, records, EmbeddingQuantizer.Parse(precisionName));
        using var index = SearchIndex.Open(folder);
        for (int r = 0; r < corpus.Length; r++) Assert.Equal(corpus[r], index.Vector(r).ToArray()); // not at unit length
        foreach (var q in queries)
        {
            var hits = index.Search("x", q, SearchMode.Dense, 7, rescoreMultiplier: corpus.Length);
            Assert.Equal(Ranked(similarity, q, corpus, 7), hits.Select(h => h.Row).ToArray());
            foreach (var h in hits) Near(Negated(similarity, q, corpus[h.Row]), h.Score, 1e-4);
        }
    }

    [Theory]
    [InlineData("euclidean")]
    [InlineData("manhattan")]
    public void PqCodesRankByTheirReconstructionsDistance(string similarityName)
    {
        var similarity = Function(similarityName);
        var (model, records, corpus, queries) = Corpus(similarity);
        string folder = Folder();
        Build(folder, model, records, pq: new ProductQuantizerOptions { Subspaces = 4, Bits = 4 });
        using var index = SearchIndex.Open(folder);
        var pq = index.ProductQuantizer!;
        var decoded = new float[corpus.Length][];
        var code = new byte[pq.Subspaces];
        for (int r = 0; r < corpus.Length; r++)
        {
            pq.Encode(corpus[r], 1, code); // the stored rows' codes (PqIndexTests checks the file holds them)
            pq.Decode(code, decoded[r] = new float[pq.Dimension]);
        }
        foreach (var q in queries)
        {
            var plain = index.Search("x", q, SearchMode.Dense, 6, rescoreMultiplier: 0);
            var expected = Ranked(similarity, q, decoded, 40);
            // Equal reconstructions score alike: compare scores, and the rows where no tie leaves the order open.
            for (int i = 0; i < plain.Count; i++)
                Near(Negated(similarity, q, decoded[expected[i]]), plain[i].Score, 1e-3);
            foreach (var h in plain) Near(Negated(similarity, q, decoded[h.Row]), h.Score, 1e-3);
            var rescored = index.Search("x", q, SearchMode.Dense, 6, rescoreMultiplier: corpus.Length);
            Assert.Equal(Ranked(similarity, q, corpus, 6), rescored.Select(h => h.Row).ToArray());
        }
    }

    [Fact]
    public void ManhattanPqRefusesOpq()
    {
        var (model, records, _, _) = Corpus(SimilarityFunction.Manhattan);
        foreach (var ivf in new Ivf.IvfOptions?[] { null, new() { Lists = 4 } })
        {
            var e = Assert.Throws<EvaluationException>(() =>
                Build(Folder(), model, records, pq: new ProductQuantizerOptions { Subspaces = 4, Bits = 4, RotationRounds = 2 }, ivf: ivf));
            Assert.Contains("--opq", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void ReindexKeepsTheDistanceForExactLayouts()
    {
        var (model, records, corpus, queries) = Corpus(SimilarityFunction.Euclidean);
        string folder = Folder();
        Build(folder, model, records);
        Assert.Equal("euclidean", IndexBuilder.Reindex(folder, new DenseLayout { Precision = EmbeddingPrecision.Int8 }).Similarity);
        using (var index = SearchIndex.Open(folder))
        {
            Assert.Equal(corpus[3], index.Vector(3).ToArray());
            var hits = index.Search("x", queries[0], SearchMode.Dense, 5, rescoreMultiplier: corpus.Length);
            Assert.Equal(Ranked(SimilarityFunction.Euclidean, queries[0], corpus, 5), hits.Select(h => h.Row).ToArray());
        }
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("int8")]
    public void FilteredSearchAndHybridRerankScoreByTheDistance(string precisionName)
    {
        var (model, records, corpus, queries) = Corpus(SimilarityFunction.Manhattan);
        string folder = Folder();
        Build(folder, model, records, EmbeddingQuantizer.Parse(precisionName));
        using var index = SearchIndex.Open(folder);
        var q = queries[1];
        // Few rows pass (doc1, doc10–doc19): scored exactly from their float rows.
        int[] passing = [1, .. Enumerable.Range(10, 10)];
        var few = index.Search("x", q, SearchMode.Dense, 4, filter: IndexFilter.OfSources("doc1*.txt"));
        var expected = Ranked(SimilarityFunction.Manhattan, q, [.. passing.Select(r => corpus[r])], 4).Select(i => passing[i]).ToArray();
        Assert.Equal(expected, few.Select(h => h.Row).ToArray());
        foreach (var h in few) Near(Negated(SimilarityFunction.Manhattan, q, corpus[h.Row]), h.Score, 1e-4);
        // Every row is a BM25 candidate ("rad"): reranked by the dense side, the distance.
        var reranked = index.Search("rad", q, SearchMode.Hybrid, 5, FusionOptions.Default with { Mode = HybridMode.Rerank });
        Assert.Equal(Ranked(SimilarityFunction.Manhattan, q, corpus, 5), reranked.Select(h => h.Row).ToArray());
        foreach (var h in reranked) Near(Negated(SimilarityFunction.Manhattan, q, corpus[h.Row]), h.Score, 1e-4);
    }

    [Fact]
    public void AddedRowsAreStoredRawAndRankedWithTheRest()
    {
        var (model, records, corpus, queries) = Corpus(SimilarityFunction.Euclidean);
        string folder = Folder();
        Build(folder, model, [.. records.Take(30)], EmbeddingPrecision.Int8);
        IndexBuilder.Add(folder, model, [.. records.Skip(30)]);
        using var index = SearchIndex.Open(folder);
        Assert.Equal("euclidean", index.Manifest.Similarity);
        var rows = Enumerable.Range(0, index.Records.Count).ToDictionary(r => index.Records[r].Id);
        foreach (var record in records.Skip(30)) Assert.Equal(corpus[int.Parse(record.Id[1..], System.Globalization.CultureInfo.InvariantCulture)], index.Vector(rows[record.Id]).ToArray());
        var hits = index.Search("x", queries[2], SearchMode.Dense, 6, rescoreMultiplier: corpus.Length);
        Assert.Equal(Ranked(SimilarityFunction.Euclidean, queries[2], corpus, 6).Select(r => $"r{r}"), hits.Select(h => h.Record.Id));
    }
}
