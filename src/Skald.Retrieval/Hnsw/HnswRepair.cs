using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// Makes every node reachable on layer 0 from the entry point, which hnswlib does not: its neighbour heuristic can
/// prune every link that led to a node, and a search then never returns that row, however large its ef. After a
/// build, the nodes a breadth-first walk from the entry point does not reach are linked in one at a time: a search
/// from the entry point finds the node's nearest reachable nodes, and the first of them whose layer-0 list has room
/// takes a link to it; when all are full, the first whose least similar link leads to a node that another reachable
/// node also links to gives that link up (so nothing becomes unreachable in exchange). The walk then goes on from the
/// node just linked in, whose own links may reach others.
/// </summary>
internal static class HnswRepair
{
    /// <summary>Links in the nodes the entry point does not reach on layer 0; returns how many it linked in.</summary>
    public static int Repair(HnswGraph graph, FloatRow rows, HnswWalker walker)
    {
        int n = graph.Count;
        if (n == 0) return 0;
        var reached = new bool[n];
        var inDegree = new int[n]; // layer-0 links from reached nodes
        var queue = new Queue<int>();
        void Reach(int start)
        {
            reached[start] = true;
            queue.Enqueue(start);
            while (queue.TryDequeue(out int v))
            {
                foreach (int w in graph.Links(v, 0))
                {
                    inDegree[w]++;
                    if (reached[w]) continue;
                    reached[w] = true;
                    queue.Enqueue(w);
                }
            }
        }
        Reach(graph.EntryPoint);
        int repaired = 0;
        var found = new (int Node, float Similarity)[graph.EfConstruction];
        for (int u = 0; u < n; u++)
        {
            if (reached[u]) continue;
            var q = rows(u);
            int node = graph.EntryPoint;
            float similarity = FloatScorer.Pair(graph.Similarity, q, rows(node));
            for (int layer = graph.TopLevel; layer > 0; layer--) walker.Greedy(graph, rows, q, layer, false, ref node, ref similarity);
            walker.SearchLayer(graph, rows, q, node, similarity, 0, graph.EfConstruction, false);
            int count = walker.Results.Count;
            for (int i = count - 1; i >= 0; i--)
            {
                walker.Results.TryDequeue(out int v, out float s);
                found[i] = (v, s);
            }
            if (!LinkIn(graph, rows, u, found.AsSpan(0, count), reached, inDegree)) continue;
            repaired++;
            inDegree[u]++;
            Reach(u);
        }
        return repaired;
    }

    /// <summary>Gives <paramref name="u"/> one link from the best reachable candidate that can take it.</summary>
    private static bool LinkIn(HnswGraph graph, FloatRow rows, int u, ReadOnlySpan<(int Node, float Similarity)> candidates,
        bool[] reached, int[] inDegree)
    {
        foreach (var (v, _) in candidates)
        {
            var list = graph.List(v, 0);
            if (v == u || !reached[v] || list[0] >= list.Length - 1) continue;
            list[1 + list[0]] = u;
            list[0]++;
            return true;
        }
        foreach (var (v, _) in candidates)
        {
            if (v == u || !reached[v]) continue;
            var list = graph.List(v, 0);
            var at = rows(v);
            int weakest = -1;
            float worst = float.PositiveInfinity;
            for (int j = 1; j <= list[0]; j++)
            {
                int w = list[j];
                float s = FloatScorer.Pair(graph.Similarity, at, rows(w));
                if (inDegree[w] >= 2 && s < worst) (weakest, worst) = (j, s);
            }
            if (weakest < 0) continue;
            inDegree[list[weakest]]--;
            list[weakest] = u;
            return true;
        }
        return false;
    }
}
