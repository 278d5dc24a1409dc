using Skald.Models.Modules;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// IVF lists and HNSW graphs built by a distance (<see cref="InvertedLists.Similarity"/>, <see cref="HnswGraph.Similarity"/>):
/// Euclidean lists group every row under and probe the centroids nearest in L2 (checked against distances computed here
/// in double); searches that reach every row give the exact ranking; partial ones (4 of 40 lists, ef 10) keep a
/// recall@10 measured on a seeded clustered fixture (bounds under what was measured on 2026-12-07, the margin for
/// another CPU's vector widths rounding the scores, and so the graph, differently); the exact distance scan spread over the
/// cores gives the brute-force ranking.
/// </summary>
public sealed class DistanceListsAndGraphTests
{
    /// <summary>
    /// <paramref name="rows"/> points of <paramref name="dim"/> values around 30 seeded, overlapping centres of varied
    /// scale, and 40 queries near them (so a partial search misses some true neighbours).
    /// </summary>
    private static (float[][] Rows, float[][] Queries) Clustered(int rows, int dim, int seed)
    {
        var random = new Random(seed);
        float Gauss() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var centres = Enumerable.Range(0, 30).Select(_ => Enumerable.Range(0, dim).Select(_ => 1.5f * Gauss()).ToArray()).ToArray();
        float[] Near(float spread)
        {
            var c = centres[random.Next(centres.Length)];
            float scale = 0.5f + (float)random.NextDouble();
            return [.. c.Select(v => scale * v + spread * Gauss())];
        }
        return ([.. Enumerable.Range(0, rows).Select(_ => Near(1f))], [.. Enumerable.Range(0, 40).Select(_ => Near(1.2f))]);
    }

    private static double Distance(SimilarityFunction similarity, float[] a, ReadOnlySpan<float> b) => -DistanceIndexTests.Negated(similarity, a, b);

    private static int[] Nearest(SimilarityFunction similarity, float[] q, float[][] rows, int k) =>
        [.. Enumerable.Range(0, rows.Length).OrderBy(r => Distance(similarity, q, rows[r])).ThenBy(r => r).Take(k)];

    [Fact]
    public void EuclideanListsHoldEachRowUnderItsNearestCentroidAndProbeByL2()
    {
        var (rows, queries) = Clustered(900, 8, 3);
        var lists = InvertedLists.Train(rows, 12, new KMeansOptions { Seed = 1 }, out var order, SimilarityFunction.Euclidean);
        Assert.True(lists.ByDistance);
        int dim = lists.Dimension;
        var centroids = Enumerable.Range(0, lists.Lists).Select(l => lists.Centroids.Slice(l * dim, dim).ToArray()).ToArray();
        Assert.Contains(centroids, c => Math.Abs(Math.Sqrt(c.Sum(v => (double)v * v)) - 1) > 0.5); // means, not unit vectors
        for (int i = 0; i < order.Length; i++)
        {
            int nearest = Nearest(SimilarityFunction.Euclidean, rows[order[i]], centroids, 1)[0];
            Assert.Equal(nearest, lists.ListOf(i));
        }
        Assert.Equal(lists.ListOf(5), lists.Assign([rows[order[5]]])[0]);
        var probed = new int[lists.Lists];
        foreach (var q in queries.Take(5))
        {
            lists.Probe(q, probed);
            Assert.Equal(Nearest(SimilarityFunction.Euclidean, q, centroids, lists.Lists), probed);
        }
    }

    [Theory]
    [InlineData(SimilarityFunction.Euclidean, 0.85)] // measured 0.917
    [InlineData(SimilarityFunction.Manhattan, 0.85)] // measured 0.902
    public void ListsProbedEverywhereAreExactAndFourOfFortyKeepTheMeasuredRecall(SimilarityFunction similarity, double bound)
    {
        var (rows, queries) = Clustered(3000, 16, 11);
        var lists = InvertedLists.Train(rows, 40, new KMeansOptions { Seed = 2 }, out var order, similarity);
        var grouped = order.Select(i => rows[i]).ToArray();
        var flat = grouped.SelectMany(r => r).ToArray();
        FloatBlock block = (s, c) => flat.AsSpan(s * 16, c * 16);
        var all = IvfSearch.TopK(queries, lists, 40, block, 10);
        var four = IvfSearch.TopK(queries, lists, 4, block, 10);
        double found = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var exact = Nearest(similarity, queries[q], grouped, 10);
            Assert.Equal(exact, all[q].Select(h => h.Index).ToArray());
            found += four[q].Count(h => exact.Contains(h.Index));
        }
        double recall = found / (10.0 * queries.Length);
        Assert.True(recall >= bound, $"recall@10 {recall:F3} < {bound}");
    }

    [Theory]
    [InlineData(SimilarityFunction.Euclidean, 0.80)] // measured 0.865
    [InlineData(SimilarityFunction.Manhattan, 0.80)] // measured 0.855
    public void AGraphWalkedAsWideAsTheCorpusIsExactAndEfTenKeepsTheMeasuredRecall(SimilarityFunction similarity, double bound)
    {
        var (rows, queries) = Clustered(3000, 16, 12);
        var graph = HnswGraph.Build(rows.Length, r => rows[r], new HnswOptions { M = 8, EfConstruction = 64, Threads = 1, Similarity = similarity });
        Assert.Equal(similarity, graph.Similarity);
        var all = HnswSearch.TopK(queries, graph, r => rows[r], 10, rows.Length);
        var narrow = HnswSearch.TopK(queries, graph, r => rows[r], 10, 10);
        double found = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var exact = Nearest(similarity, queries[q], rows, 10);
            Assert.Equal(exact, all[q].Select(h => h.Index).ToArray());
            for (int i = 0; i < 10; i++) DistanceIndexTests.Near(-Distance(similarity, queries[q], rows[exact[i]]), all[q][i].Score, 5e-3);
            found += narrow[q].Count(h => exact.Contains(h.Index));
        }
        double recall = found / (10.0 * queries.Length);
        Assert.True(recall >= bound, $"recall@10 {recall:F3} < {bound}");
    }

    [Theory]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Manhattan)]
    public void TheExactDistanceScanSpreadOverTheCoresRanksAsBruteForce(SimilarityFunction similarity)
    {
        var (rows, queries) = Clustered(20000, 8, 13); // several 4,096-row claims: more than one core scans when there are more
        foreach (var asked in new[] { queries.Take(1).ToArray(), queries.Take(3).ToArray() })
        {
            var hits = DistanceSearch.TopK(similarity, asked, rows.Length, r => rows[r], 12);
            for (int q = 0; q < asked.Length; q++)
            {
                var exact = Nearest(similarity, asked[q], rows, 12);
                Assert.Equal(exact, hits[q].Select(h => h.Index).ToArray());
                for (int i = 0; i < exact.Length; i++) DistanceIndexTests.Near(-Distance(similarity, asked[q], rows[exact[i]]), hits[q][i].Score, 5e-3);
            }
        }
    }
}
