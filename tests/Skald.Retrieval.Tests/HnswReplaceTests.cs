using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Search;

namespace Skald.Retrieval.Tests;

/// <summary>
/// Reusing a node's slot for a new row (<see cref="HnswGraph.Replace"/>, hnswlib's replace_deleted): under many rounds
/// of rows replaced by others the graph keeps its size, stays whole (every node reachable, a search keeping every row
/// exact) and finds nearly what a graph built afresh over the same rows finds.
/// </summary>
public sealed class HnswReplaceTests
{
    private static readonly HnswOptions Options = new() { M = 8, EfConstruction = 64, Threads = 1 };

    [Fact]
    public void RoundsOfReplacedRowsKeepTheGraphsSizeAndFindNearlyWhatAFreshGraphFinds()
    {
        const int n = 2000, perRound = 200, rounds = 10;
        var (pool, queries) = IvfTests.Clustered(seed: 31, n: n + perRound * rounds, dim: 16, clusters: 40, nq: 80);
        var current = pool[..n];
        var graph = HnswGraph.Build(n, r => current[r], Options);
        var random = new Random(5);
        int next = n;
        for (int round = 0; round < rounds; round++)
        {
            // Random slots (the entry point among them in the first round) take rows from elsewhere in the space.
            var slots = Enumerable.Range(0, n).Where(r => round > 0 || r != graph.EntryPoint).OrderBy(_ => random.Next()).Take(perRound).ToList();
            if (round == 0) slots[0] = graph.EntryPoint;
            foreach (int s in slots) current[s] = pool[next++];
            graph.Replace(slots, r => current[r]);
            Assert.Equal(n, graph.Count);
        }
        Assert.Null(graph.Problem());
        Assert.All(HnswTests.Reached(graph), Assert.True);
        var exact = ExactSearch.TopK(queries, current, 10);
        var whole = HnswSearch.TopK(queries, graph, r => current[r], 10, n);
        for (int q = 0; q < queries.Length; q++) Assert.Equal(exact[q].Select(h => h.Index), whole[q].Select(h => h.Index));
        var fresh = HnswGraph.Build(n, r => current[r], Options);
        foreach (int ef in new[] { 10, 20 })
        {
            double churned = HnswTests.Recall(exact, HnswSearch.TopK(queries, graph, r => current[r], 10, ef));
            double rebuilt = HnswTests.Recall(exact, HnswSearch.TopK(queries, fresh, r => current[r], 10, ef));
            Assert.True(churned >= rebuilt - 0.02, $"recall@10 at ef {ef}: {churned:F3} after {rounds} rounds of {perRound} replaced, {rebuilt:F3} built afresh");
        }
        double Links(HnswGraph g) => Enumerable.Range(0, n).Average(i => g.Links(i, 0).Length);
        Assert.True(Links(graph) >= 0.95 * Links(fresh), $"mean layer-0 links {Links(graph):F2} after the rounds, {Links(fresh):F2} built afresh");
    }

    [Fact]
    public void AReplacedRowIsFoundWhereItNowIsAndNotWhereItWas()
    {
        var (pool, _) = IvfTests.Clustered(seed: 32, n: 1201, dim: 16, clusters: 20, nq: 1);
        var current = pool[..1200];
        var graph = HnswGraph.Build(1200, r => current[r], Options);
        var before = current[77];
        current[77] = pool[1200];
        graph.Replace([77], r => current[r]);
        Assert.Null(graph.Problem());
        Assert.Equal(77, HnswSearch.TopK([pool[1200]], graph, r => current[r], 1, 10)[0][0].Index);
        Assert.NotEqual(77, HnswSearch.TopK([before], graph, r => current[r], 1, 10)[0][0].Index);
        Assert.Contains(graph.Links(77, 0).ToArray(), j => ExactSearch.TopK([pool[1200]], current, 20)[0].Any(h => h.Index == j));
        Assert.Throws<ArgumentException>(() => graph.Replace([3, 3], r => current[r]));
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.Replace([1200], r => current[r]));
    }
}
