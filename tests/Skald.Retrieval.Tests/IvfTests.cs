using System.Text.Json;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// k-means and inverted-file search against fixtures/ivf/make_kmeans.py (NumPy: Lloyd's iterations with the same
/// empty-cluster rule, IVF probing and scoring), and IVF search against exact search by brute force.
/// </summary>
public sealed class IvfTests
{
    private static readonly ReferenceJson Data = new("ivf", "kmeans.json");

    [Fact]
    public void SphericalLloydStepsEqualNumpyIncludingAnEmptyClusterRelocated()
    {
        int n = Data.Int("n"), dim = Data.Int("dim"), k = Data.Int("k");
        var centroids = KMeans.Lloyd(Data.Floats("data"), n, dim, Data.Floats("initial"), k, Data.Int("iterations"));
        var expected = Data.Floats("centroids");
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], centroids[i], 4e-6f);
        var initial = Data.Floats("initial");
        Assert.Equal(initial[..dim], initial[((k - 1) * dim)..]); // the last starts as a copy of the first, so it starts empty
        Assert.NotEqual(centroids[..dim], centroids[((k - 1) * dim)..]);
        for (int j = 0; j < k; j++)
            Assert.Equal(1f, MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(centroids.AsSpan(j * dim, dim), centroids.AsSpan(j * dim, dim))), 1e-5f);
        var assignment = new int[n];
        KMeans.Assign(Data.Floats("data"), n, dim, centroids, k, assignment);
        Assert.Equal(Data.Ints("assignment"), assignment);
    }

    [Fact]
    public void ListsGroupRowsStablyAndSearchAsNumpyProbes()
    {
        int dim = Data.Int("dim"), k = Data.Int("k");
        var data = ReferenceJson.Rows(Data.Floats("data"), dim);
        var lists = InvertedLists.Group(Data.Floats("centroids"), dim, Data.Ints("assignment"), out var order);
        Assert.Equal(Data.Ints("order"), order);
        Assert.Equal(Data.Ints("starts"), Enumerable.Range(0, k + 1).Select(lists.Start));
        var stored = order.Select(i => data[i]).ToArray();
        var flat = stored.SelectMany(r => r).ToArray();
        var queries = ReferenceJson.Rows(Data.Floats("queries"), dim);
        int probes = Data.Int("probes"), topK = Data.Int("top_k");
        var hits = IvfSearch.TopK(queries, lists, probes, (s, c) => flat.AsSpan(s * dim, c * dim), topK);
        var expected = Data["search"].EnumerateArray().ToArray();
        for (int q = 0; q < queries.Length; q++)
        {
            var probed = new int[probes];
            lists.Probe(queries[q], probed);
            Assert.Equal(expected[q].GetProperty("probed").EnumerateArray().Select(v => v.GetInt32()), probed);
            Assert.Equal(expected[q].GetProperty("rows").EnumerateArray().Select(v => v.GetInt32()), hits[q].Select(h => h.Index));
            var scores = expected[q].GetProperty("scores").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            for (int i = 0; i < topK; i++) Assert.Equal(scores[i], hits[q][i].Score, 1e-4f);
        }
        for (int r = 0; r < stored.Length; r++) Assert.Equal(Data.Ints("assignment")[order[r]], lists.ListOf(r));
    }

    [Fact]
    public void ProbingEveryListIsExactSearch()
    {
        var (rows, queries) = Clustered(seed: 5, n: 3000, dim: 24, clusters: 40, nq: 20);
        var lists = InvertedLists.Train(rows, 32, new KMeansOptions { Seed = 3 }, out var order);
        var stored = order.Select(i => rows[i]).ToArray();
        var flat = stored.SelectMany(r => r).ToArray();
        var exact = ExactSearch.TopK(queries, stored, 10);
        var ivf = IvfSearch.TopK(queries, lists, lists.Lists, (s, c) => flat.AsSpan(s * 24, c * 24), 10);
        for (int q = 0; q < queries.Length; q++) Assert.Equal(exact[q].Select(h => h.Index), ivf[q].Select(h => h.Index));
    }

    [Fact]
    public void ALoneQueryWhoseListsAreLongIsSharedAmongTheCoresAndStaysExact()
    {
        // 20,000 × 256 = 5.1M values ≥ the split threshold of 4M: the lone query's lists are claimed by the cores.
        var (rows, queries) = Clustered(seed: 13, n: 20_000, dim: 256, clusters: 50, nq: 3);
        var lists = InvertedLists.Train(rows, 40, null, out var order);
        var stored = order.Select(i => rows[i]).ToArray();
        var flat = stored.SelectMany(r => r).ToArray();
        var ranges = QuantizationRanges.FromEmbeddings(stored);
        var int8 = EmbeddingQuantizer.Quantize(stored, EmbeddingPrecision.Int8, ranges);
        foreach (var q in queries)
        {
            var exact = ExactSearch.TopK([q], stored, 25)[0];
            Assert.Equal(exact, IvfSearch.TopK([q], lists, 40, (s, c) => flat.AsSpan(s * 256, c * 256), 25)[0]);
            Assert.Equal(QuantizedSearch.TopK([q], int8, 25, 0)[0], IvfSearch.TopK([q], lists, 40, int8, 25, 0)[0]);
        }
    }

    [Fact]
    public void FewProbesFindMostTrueNeighboursOfClusteredData()
    {
        var (rows, queries) = Clustered(seed: 7, n: 20_000, dim: 32, clusters: 200, nq: 100);
        int lists = InvertedLists.AutoLists(rows.Length);
        Assert.Equal(512, lists); // 20,000 / 39 caps 4·√20,000 = 566
        var ivf = InvertedLists.Train(rows, lists, null, out var order);
        var stored = order.Select(i => rows[i]).ToArray();
        var flat = stored.SelectMany(r => r).ToArray();
        var exact = ExactSearch.TopK(queries, stored, 10);
        double Recall(int probes)
        {
            var hits = IvfSearch.TopK(queries, ivf, probes, (s, c) => flat.AsSpan(s * 32, c * 32), 10);
            return Enumerable.Range(0, queries.Length).Average(q => hits[q].Select(h => h.Index).Intersect(exact[q].Select(h => h.Index)).Count() / 10.0);
        }
        double one = Recall(1), auto = Recall(InvertedLists.AutoProbes(lists));
        Assert.True(auto >= 0.95, $"recall@10 at {InvertedLists.AutoProbes(lists)} probes: {auto:F3}");
        Assert.True(auto > one, $"more probes should find more: 1 probe {one:F3}, auto {auto:F3}");
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("ubinary")]
    public void QuantizedListsProbedEverywhereEqualQuantizedExactSearch(string name)
    {
        var precision = EmbeddingQuantizer.Parse(name);
        var (rows, queries) = Clustered(seed: 11, n: 2000, dim: 64, clusters: 30, nq: 8);
        var lists = InvertedLists.Train(rows, 24, null, out var order);
        var stored = order.Select(i => rows[i]).ToArray();
        var ranges = EmbeddingQuantizer.NeedsRanges(precision) ? QuantizationRanges.FromEmbeddings(stored) : null;
        var corpus = EmbeddingQuantizer.Quantize(stored, precision, ranges);
        foreach (int multiplier in new[] { 0, 3 })
        {
            var exact = QuantizedSearch.TopK(queries, corpus, 10, multiplier, null, r => stored[r]);
            var ivf = IvfSearch.TopK(queries, lists, lists.Lists, corpus, 10, multiplier, null, r => stored[r]);
            for (int q = 0; q < queries.Length; q++) Assert.Equal(exact[q], ivf[q]);
        }
    }

    [Fact]
    public void ListsRoundTripThroughTheFileAndDamageIsNamed()
    {
        var (rows, _) = Clustered(seed: 2, n: 500, dim: 8, clusters: 5, nq: 0);
        var lists = InvertedLists.Train(rows, 8, null, out _);
        string dir = Directory.CreateTempSubdirectory("skald-ivf").FullName;
        try
        {
            string path = Path.Combine(dir, "ivf.bin");
            using (var fs = File.Create(path)) lists.Write(fs);
            var back = InvertedLists.Read(path, 8, 500);
            Assert.Equal(lists.Centroids.ToArray(), back.Centroids.ToArray());
            Assert.Equal(Enumerable.Range(0, 9).Select(lists.Start), Enumerable.Range(0, 9).Select(back.Start));
            Assert.Contains("the lists hold 500 rows, the index 501", Assert.Throws<EvaluationException>(() => InvertedLists.Read(path, 8, 501)).Message);
            Assert.Contains("8-d centroids, the index holds 16-d", Assert.Throws<EvaluationException>(() => InvertedLists.Read(path, 16, 500)).Message);
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
            var e = Assert.Throws<EvaluationException>(() => InvertedLists.Read(path, 8, 500));
            Assert.StartsWith(path, e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TrainingIsRepeatableAndAutoSizesFollowTheRule()
    {
        var (rows, _) = Clustered(seed: 4, n: 1000, dim: 16, clusters: 10, nq: 0);
        var a = KMeans.Train(rows, 12, new KMeansOptions { Seed = 9 });
        var b = KMeans.Train(rows, 12, new KMeansOptions { Seed = 9 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, KMeans.Train(rows, 12, new KMeansOptions { Seed = 10 }));
        Assert.Equal(1, InvertedLists.AutoLists(10));
        Assert.Equal(4000, InvertedLists.AutoLists(1_000_000));
        Assert.Equal(250, InvertedLists.AutoProbes(4000));
        Assert.Equal(8, InvertedLists.AutoProbes(24));
        Assert.Equal(5, InvertedLists.AutoProbes(5));
        Assert.Equal(1, InvertedLists.AutoProbes(1));
    }

    /// <summary>Points around random centres (unit-normalised, as a cosine index stores them) and queries near them.</summary>
    internal static (float[][] Rows, float[][] Queries) Clustered(int seed, int n, int dim, int clusters, int nq)
    {
        var random = new Random(seed);
        float Gauss() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var centres = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, dim).Select(_ => Gauss()).ToArray()).ToArray();
        float[] Near(float spread)
        {
            var c = centres[random.Next(clusters)];
            return [.. c.Select(v => v + spread * Gauss())];
        }
        var rows = ExactSearch.Normalize([.. Enumerable.Range(0, n).Select(_ => Near(0.35f))]);
        var queries = ExactSearch.Normalize([.. Enumerable.Range(0, nq).Select(_ => Near(0.35f))]);
        return (rows, queries);
    }
}
