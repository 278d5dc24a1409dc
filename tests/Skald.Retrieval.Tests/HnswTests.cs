using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The HNSW graph (<see cref="HnswGraph"/>, <see cref="HnswSearch"/>): checked against exact search (a search keeping
/// the whole corpus is exact; the defaults find most true neighbours), the graph's invariants, hnswlib's neighbour
/// heuristic on a case worked by hand, the level distribution, deterministic one-thread builds, saving, and damaged files.
/// </summary>
public sealed class HnswTests
{
    private static HnswGraph Graph(float[][] rows, int m = 8, int efConstruction = 64, int threads = 1) =>
        HnswGraph.Build(rows.Length, r => rows[r], new HnswOptions { M = m, EfConstruction = efConstruction, Threads = threads });

    internal static double Recall(Hit[][] expected, Hit[][] actual) =>
        expected.Zip(actual, (e, a) => (double)e.Select(h => h.Index).Intersect(a.Select(h => h.Index)).Count() / e.Length).Average();

    internal static byte[] Bytes(HnswGraph graph)
    {
        using var ms = new MemoryStream();
        graph.Write(ms);
        return ms.ToArray();
    }

    [Fact]
    public void ASearchKeepingTheWholeCorpusIsExactSearch()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 3, n: 800, dim: 16, clusters: 20, nq: 15);
        var graph = Graph(rows);
        Assert.Null(graph.Problem());
        var exact = ExactSearch.TopK(queries, rows, 10);
        var hnsw = HnswSearch.TopK(queries, graph, r => rows[r], 10, ef: rows.Length);
        for (int q = 0; q < queries.Length; q++) Same(exact[q], hnsw[q]);
    }

    /// <summary>Same rows in the same order, scores equal but for rounding (exact search's GEMM sums in another order).</summary>
    private static void Same(IEnumerable<Hit> expected, IEnumerable<Hit> actual)
    {
        Assert.Equal(expected.Select(h => h.Index), actual.Select(h => h.Index));
        foreach (var (e, a) in expected.Zip(actual)) Assert.Equal(e.Score, a.Score, 1e-5f);
    }

    [Fact]
    public void LayerZeroReachesEveryNodeAndNoListIsOverfull()
    {
        var (rows, _) = IvfTests.Clustered(seed: 4, n: 3000, dim: 16, clusters: 30, nq: 1);
        var graph = Graph(rows, m: 6);
        Assert.Null(graph.Problem());
        Assert.All(Reached(graph), Assert.True);
        Assert.Equal(0, graph.Repaired); // hnswlib's construction alone reaches every row of this data
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.InRange(graph.Links(i, 0).Length, 1, 12);
            for (int layer = 1; layer <= graph.Level(i); layer++) Assert.InRange(graph.Links(i, layer).Length, 0, 6);
        }
        Assert.Equal(Enumerable.Range(0, rows.Length).Max(graph.Level), graph.TopLevel);
        Assert.Equal(graph.TopLevel, graph.Level(graph.EntryPoint));
    }

    /// <summary>Which nodes a walk along layer-0 links from the entry point reaches.</summary>
    internal static bool[] Reached(HnswGraph graph)
    {
        var reached = new bool[graph.Count];
        var stack = new Stack<int>([graph.EntryPoint]);
        reached[graph.EntryPoint] = true;
        while (stack.TryPop(out int n))
            foreach (int j in graph.Links(n, 0))
                if (!reached[j]) { reached[j] = true; stack.Push(j); }
        return reached;
    }

    [Fact]
    public void RowsNoOtherRowLinksToAreLinkedInAndFoundAgain()
    {
        var (rows, _) = IvfTests.Clustered(seed: 21, n: 600, dim: 16, clusters: 12, nq: 1);
        var graph = Graph(rows, m: 4);
        // Cut every layer-0 link to three rows, as the neighbour heuristic can: no walk reaches them any more.
        int[] cut = [.. Enumerable.Range(0, rows.Length).Where(r => graph.Level(r) == 0 && r % 97 == 5).Take(3)]; // on layer 0 only: no upper layer leads there either
        for (int node = 0; node < graph.Count; node++)
        {
            var list = graph.List(node, 0);
            int[] kept = [.. list.Slice(1, list[0]).ToArray().Where(j => !cut.Contains(j))];
            kept.CopyTo(list[1..]);
            list[0] = kept.Length;
        }
        Assert.All(cut, r => Assert.False(Reached(graph)[r]));
        Assert.All(cut, r => Assert.NotEqual(r, HnswSearch.TopK([rows[r]], graph, x => rows[x], 1, rows.Length)[0][0].Index));

        int repaired = HnswRepair.Repair(graph, x => rows[x], new HnswWalker(graph.M0));
        Assert.InRange(repaired, 1, cut.Length); // a row linked in may itself lead to another cut one
        Assert.All(Reached(graph), Assert.True);
        Assert.Null(graph.Problem());
        Assert.All(cut, r => Assert.Equal(r, HnswSearch.TopK([rows[r]], graph, x => rows[x], 1, rows.Length)[0][0].Index));
    }

    [Fact]
    public void TheDefaultsFindMostTrueNeighboursAndMoreCandidatesFindMore()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 7, n: 20_000, dim: 32, clusters: 200, nq: 100);
        var graph = HnswGraph.Build(rows.Length, r => rows[r], new HnswOptions { EfConstruction = 100 });
        Assert.Null(graph.Problem());
        var exact = ExactSearch.TopK(queries, rows, 10);
        double Ef(int ef) => Recall(exact, HnswSearch.TopK(queries, graph, r => rows[r], 10, ef));
        double low = Ef(10), standard = Ef(HnswOptions.DefaultEfSearch), high = Ef(400);
        Assert.True(standard >= 0.95, $"recall@10 {standard:F3} at ef {HnswOptions.DefaultEfSearch}");
        Assert.True(high >= standard && standard >= low && high > low, $"recall@10 {low:F3} / {standard:F3} / {high:F3} at ef 10 / 64 / 400");
    }

    [Fact]
    public void NeighbourHeuristicKeepsACandidateOnlyIfNoKeptOneIsCloserToItThanTheQuery()
    {
        // Query at angle 0; a at 10°, b at 15° (5° from a), c at −40° (50° from a). Best first: a (cos 10°), b (cos 15°),
        // c (cos 40°). a is kept; b is nearer a (cos 5°) than the query (cos 15°): dropped; c is nearer the query
        // (cos 40°) than a (cos 50°): kept.
        float[] At(double degrees) => [(float)Math.Cos(degrees * Math.PI / 180), (float)Math.Sin(degrees * Math.PI / 180)];
        float[][] rows = [At(10), At(15), At(-40)];
        (int, float)[] sorted = [(0, At(10)[0]), (1, At(15)[0]), (2, At(-40)[0])];
        var kept = new int[3];
        Assert.Equal(2, HnswConstruction.SelectNeighbours(sorted, 2, r => rows[r], kept));
        Assert.Equal([0, 2], kept[..2]);
        Assert.Equal(2, HnswConstruction.SelectNeighbours(sorted, 3, r => rows[r], kept)); // all three offered, b still dropped
        Assert.Equal(2, HnswConstruction.SelectNeighbours(sorted[..2], 3, r => rows[r], kept)); // fewer than m: all kept
        Assert.Equal([0, 1], kept[..2]);
    }

    [Fact]
    public void LevelsAreGeometricWithRatioOneOverM()
    {
        const int n = 200_000, m = 16;
        var levels = Enumerable.Range(0, n).Select(i => HnswGraph.LevelFor(100, i, m)).ToArray();
        double atLeast1 = levels.Count(l => l >= 1) / (double)n, atLeast2 = levels.Count(l => l >= 2) / (double)n;
        Assert.InRange(atLeast1, 1.0 / m - 0.003, 1.0 / m + 0.003);           // P(level ≥ 1) = 1/M
        Assert.InRange(atLeast2, 1.0 / (m * m) - 0.0008, 1.0 / (m * m) + 0.0008); // P(level ≥ 2) = 1/M²
        Assert.Equal(levels, Enumerable.Range(0, n).Select(i => HnswGraph.LevelFor(100, i, m)));
        Assert.NotEqual(levels, Enumerable.Range(0, n).Select(i => HnswGraph.LevelFor(101, i, m)));
    }

    [Fact]
    public void OneThreadBuildsTheSameGraphEveryRunAndInsertingLaterRowsEqualsBuildingAtOnce()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 9, n: 2000, dim: 16, clusters: 25, nq: 10);
        var once = Bytes(Graph(rows));
        Assert.Equal(once, Bytes(Graph(rows)));
        var grown = HnswGraph.Build(1200, r => rows[r], new HnswOptions { M = 8, EfConstruction = 64, Threads = 1 });
        grown.Insert(rows.Length, r => rows[r], threads: 1);
        Assert.Equal(once, Bytes(grown));
        string path = Path.Combine(Directory.CreateTempSubdirectory("skald-hnsw").FullName, "hnsw.bin");
        File.WriteAllBytes(path, once);
        var read = HnswGraph.Read(path, rows.Length);
        Assert.Equal(once, Bytes(read));
        Assert.Equal(HnswSearch.TopK(queries, grown, r => rows[r], 10, 32), HnswSearch.TopK(queries, read, r => rows[r], 10, 32));
    }

    [Fact]
    public void AParallelBuildIsAsGood()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 11, n: 6000, dim: 24, clusters: 60, nq: 50);
        var graph = Graph(rows, m: 12, efConstruction: 80, threads: 2);
        Assert.Null(graph.Problem());
        var exact = ExactSearch.TopK(queries, rows, 10);
        double recall = Recall(exact, HnswSearch.TopK(queries, graph, r => rows[r], 10, 64));
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3}");
    }

    [Fact]
    public void ExcludedRowsAreNeverReturnedAndTheSearchGoesThroughThem()
    {
        var (rows, queries) = IvfTests.Clustered(seed: 5, n: 1000, dim: 16, clusters: 10, nq: 8);
        var graph = Graph(rows);
        var exact = ExactSearch.TopK(queries, rows, 30);
        foreach (var (q, e) in queries.Zip(exact))
        {
            var excluded = e.Take(20).Select(h => h.Index).ToHashSet(); // the query's whole neighbourhood
            excluded.Add(graph.EntryPoint);
            var hits = HnswSearch.TopK([q], graph, r => rows[r], 10, rows.Length, excluded: excluded)[0];
            var expected = ExactSearch.TopK([q], rows, 10 + excluded.Count)[0].Where(h => !excluded.Contains(h.Index)).Take(10);
            Same(expected, hits);
        }
    }

    [Fact]
    public void TiesGoToTheHigherTieKeyAndAnEmptyGraphFindsNothing()
    {
        float[][] rows = [[1, 0], [1, 0], [1, 0], [0, 1]];
        var graph = Graph(rows, m: 2);
        var hits = HnswSearch.TopK([[1f, 0f]], graph, r => rows[r], 2, 10, tieKeys: [0, 5, 3, 0])[0];
        Assert.Equal([1, 2], hits.Select(h => h.Index));
        Assert.Empty(HnswSearch.TopK([[1f, 0f]], HnswGraph.Build(0, r => rows[r]), r => rows[r], 3, 10)[0]);
    }

    [Fact]
    public void ADamagedFileIsNamed()
    {
        var (rows, _) = IvfTests.Clustered(seed: 2, n: 300, dim: 8, clusters: 5, nq: 1);
        var bytes = Bytes(Graph(rows));
        string dir = Directory.CreateTempSubdirectory("skald-hnsw-bad").FullName, path = Path.Combine(dir, "hnsw.bin");
        void Fails(byte[] content, int count, string message)
        {
            File.WriteAllBytes(path, content);
            var e = Assert.Throws<EvaluationException>(() => HnswGraph.Read(path, count));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(message, e.Message);
        }
        Fails(bytes[..^4], 300, "too short");
        Fails(bytes, 301, "a graph of 300 nodes, the index holds 301 rows");
        Fails([.. "NOTHNSW!"u8, .. bytes[8..]], 300, "not a Skald HNSW file");
        var bad = (byte[])bytes.Clone();
        int firstLink = 32 + 300 + 4; // header, levels, node 0's count
        BitConverter.TryWriteBytes(bad.AsSpan(firstLink), 300);
        Fails(bad, 300, "node 0 links to 300 on layer 0");
        Assert.Contains("missing", Assert.Throws<EvaluationException>(() => HnswGraph.Read(Path.Combine(dir, "none.bin"), 1)).Message);
    }
}
