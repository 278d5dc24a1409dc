using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// Inserting a node into a <see cref="HnswGraph"/>, as hnswlib's addPoint does: walk greedily from the entry point down
/// to the node's level, then on each of its layers search ef_construction candidates, keep at most M of them by the
/// neighbour heuristic (<see cref="SelectNeighbours"/>), link the node to them and them back to it; a neighbour whose
/// list is full keeps the heuristic's choice among its old links and the new node. A node above the top layer becomes
/// the entry point. Concurrent insertions lock one node's links at a time (and the top while a node above it is
/// inserted), so no two locks are ever waited on in opposite orders.
/// </summary>
internal static class HnswConstruction
{
    /// <summary>Inserts <paramref name="node"/> (its level already drawn, its lists empty).</summary>
    public static void Insert(HnswGraph graph, int node, FloatRow rows, HnswWalker walker, bool concurrent)
    {
        int level = graph.Level(node);
        Monitor.Enter(graph.Top);
        int entry = graph.EntryPoint, top = graph.TopLevel;
        if (entry < 0)
        {
            graph.EntryPoint = node;
            graph.TopLevel = level;
            Monitor.Exit(graph.Top);
            return;
        }
        bool holdTop = level > top; // this node becomes the entry point: no other may change it meanwhile
        if (!holdTop) Monitor.Exit(graph.Top);
        try
        {
            LinkIn(graph, node, level, entry, top, rows, walker, concurrent);
            if (holdTop)
            {
                graph.EntryPoint = node;
                graph.TopLevel = level;
            }
        }
        finally
        {
            if (holdTop) Monitor.Exit(graph.Top);
        }
    }

    /// <summary>
    /// Links <paramref name="node"/> (level <paramref name="level"/>) into the graph whose entry point and top layer are
    /// <paramref name="entry"/> and <paramref name="top"/>: greedy from the entry point down to the layer above the
    /// node's, then on each of its layers from min(level, top) down: search ef construction candidates, keep at most M
    /// by the heuristic (never the node itself), link the node to them and them back to it. A layer where nothing but
    /// the node is found keeps the node's links there as they were.
    /// </summary>
    internal static void LinkIn(HnswGraph graph, int node, int level, int entry, int top, FloatRow rows, HnswWalker walker, bool concurrent)
    {
        var query = rows(node);
        int current = entry;
        float similarity = FloatScorer.Pair(graph.Similarity, query, rows(current));
        for (int layer = top; layer > level; layer--)
            walker.Greedy(graph, rows, query, layer, concurrent, ref current, ref similarity);
        Span<int> selected = stackalloc int[graph.M];
        var found = walker.Found(graph.EfConstruction);
        for (int layer = Math.Min(level, top); layer >= 0; layer--)
        {
            walker.SearchLayer(graph, rows, query, current, similarity, layer, graph.EfConstruction, concurrent);
            int n = Drain(walker.Results, found);
            for (int i = 0; i < n; i++)
            {
                if (found[i].Node != node) continue; // a node given a new row (HnswUpdate) finds itself
                found[(i + 1)..n].CopyTo(found[i..]);
                n--;
                break;
            }
            if (n == 0) continue;
            int kept = SelectNeighbours(found[..n], graph.M, rows, selected, graph.Similarity);
            Link(graph, node, layer, selected[..kept], concurrent);
            foreach (int s in selected[..kept]) Connect(graph, s, node, layer, rows, walker, concurrent);
            current = found[0].Node;
            similarity = found[0].Similarity;
        }
    }

    /// <summary>
    /// hnswlib's getNeighborsByHeuristic2: from candidates sorted best first, keeps a candidate unless a kept one is
    /// more similar to it than the query is, until <paramref name="m"/> are kept; fewer than m candidates are all
    /// kept. Returns how many were written to <paramref name="kept"/>. Similarities are <paramref name="similarity"/>'s
    /// (<see cref="FloatScorer.Pair"/>: inner products, or a distance graph's negated distances).
    /// </summary>
    public static int SelectNeighbours(ReadOnlySpan<(int Node, float Similarity)> sorted, int m, FloatRow rows, Span<int> kept,
        Skald.Models.Modules.SimilarityFunction similarity = Skald.Models.Modules.SimilarityFunction.Dot)
    {
        if (sorted.Length < m)
        {
            for (int i = 0; i < sorted.Length; i++) kept[i] = sorted[i].Node;
            return sorted.Length;
        }
        int count = 0;
        foreach (var (c, toQuery) in sorted)
        {
            if (count >= m) break;
            var row = rows(c);
            bool good = true;
            for (int r = 0; r < count && good; r++)
                good = FloatScorer.Pair(similarity, rows(kept[r]), row) <= toQuery;
            if (good) kept[count++] = c;
        }
        return count;
    }

    /// <summary>Moves a worst-first queue's nodes into <paramref name="into"/>, best first; returns how many.</summary>
    internal static int Drain(PriorityQueue<int, float> results, Span<(int, float)> into)
    {
        int n = results.Count;
        for (int i = n - 1; i >= 0; i--)
        {
            results.TryDequeue(out int node, out float s);
            into[i] = (node, s);
        }
        return n;
    }

    /// <summary>Sets <paramref name="node"/>'s links on <paramref name="layer"/>.</summary>
    internal static void Link(HnswGraph graph, int node, int layer, ReadOnlySpan<int> links, bool concurrent)
    {
        if (concurrent) Monitor.Enter(graph.LockOf(node));
        try
        {
            var list = graph.List(node, layer);
            links.CopyTo(list[1..]);
            list[0] = links.Length;
        }
        finally
        {
            if (concurrent) Monitor.Exit(graph.LockOf(node));
        }
    }

    /// <summary>Adds <paramref name="node"/> to <paramref name="neighbour"/>'s links on <paramref name="layer"/>, re-choosing them by the heuristic when full.</summary>
    internal static void Connect(HnswGraph graph, int neighbour, int node, int layer, FloatRow rows, HnswWalker walker, bool concurrent)
    {
        if (concurrent) Monitor.Enter(graph.LockOf(neighbour));
        try
        {
            var list = graph.List(neighbour, layer);
            int n = list[0], max = list.Length - 1;
            if (list[1..(n + 1)].Contains(node)) return;
            if (n < max)
            {
                list[1 + n] = node;
                list[0] = n + 1;
                return;
            }
            var at = rows(neighbour);
            var pool = walker.Pool(n + 1);
            pool[0] = (node, FloatScorer.Pair(graph.Similarity, at, rows(node)));
            for (int j = 0; j < n; j++) pool[j + 1] = (list[1 + j], FloatScorer.Pair(graph.Similarity, at, rows(list[1 + j])));
            pool.Sort((a, b) => b.Similarity.CompareTo(a.Similarity) is int c && c != 0 ? c : a.Node.CompareTo(b.Node));
            int kept = SelectNeighbours(pool, max, rows, list[1..], graph.Similarity);
            list[0] = kept;
        }
        finally
        {
            if (concurrent) Monitor.Exit(graph.LockOf(neighbour));
        }
    }
}
