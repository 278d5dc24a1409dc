using System.Numerics.Tensors;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// One search's scratch over a <see cref="HnswGraph"/>, and the two walks both insertion and search make: the greedy
/// step down the upper layers (<see cref="Greedy"/>) and the best-first search of one layer keeping ef results
/// (<see cref="SearchLayer"/>, hnswlib's searchBaseLayer). Visited nodes are marked with a tag that changes per walk,
/// so the marks are never cleared; the queues are reused, so a warm walker allocates nothing. A node's links (in a layer
/// search, those not visited yet) are scored in one <see cref="IRowScorer.ScoreMany"/> call before they are weighed in order. While rows are inserted
/// concurrently each node's links are copied under its lock before they are followed.
/// </summary>
internal sealed class HnswWalker(int maxLinks)
{
    private int[] visited = [];
    private int tag;
    private readonly int[] links = new int[maxLinks];
    private readonly float[] scores = new float[maxLinks];
    private readonly (int, float)[] pool = new (int, float)[maxLinks + 1];
    private (int Node, float Similarity)[] found = [];

    /// <summary>Nodes still to expand, best first (priority: −similarity).</summary>
    private readonly PriorityQueue<int, float> candidates = new();

    /// <summary>The ef best nodes found, worst first (priority: similarity).</summary>
    public PriorityQueue<int, float> Results { get; } = new();

    /// <summary>Scratch for <paramref name="count"/> (node, similarity) results of an insertion's layer search.</summary>
    public Span<(int Node, float Similarity)> Found(int count)
    {
        if (found.Length < count) found = new (int, float)[count];
        return found.AsSpan(0, count);
    }

    private float[] table = [];
    private byte[] bytes = [];

    /// <summary>
    /// Scratch for a product-quantized query's table of <paramref name="count"/> centroid products, kept for the walker's
    /// next query (a warm walker allocates none).
    /// </summary>
    public Span<float> Table(int count)
    {
        if (table.Length < count) table = new float[count];
        return table.AsSpan(0, count);
    }

    /// <summary>Scratch of <paramref name="count"/> bytes (<see cref="ProductScorer.ScratchBytes"/>), kept as <see cref="Table"/> is.</summary>
    public Span<byte> Bytes(int count)
    {
        if (bytes.Length < count) bytes = new byte[count];
        return bytes.AsSpan(0, count);
    }

    /// <summary>Scratch for a full list's links and the node joining it ([1 + 2M] at most).</summary>
    public Span<(int Node, float Similarity)> Pool(int count) => pool.AsSpan(0, count);

    /// <summary>
    /// From <paramref name="node"/> (similarity <paramref name="similarity"/> to <paramref name="query"/>), moves to
    /// a better linked node on <paramref name="layer"/> until none is better; updates both.
    /// </summary>
    public void Greedy(HnswGraph graph, FloatRow rows, ReadOnlySpan<float> query, int layer, bool concurrent, ref int node, ref float similarity)
    {
        var scorer = new FloatScorer(query, rows, graph.Similarity);
        Greedy(graph, ref scorer, layer, concurrent, ref node, ref similarity);
    }

    /// <summary><see cref="Greedy(HnswGraph, FloatRow, ReadOnlySpan{float}, int, bool, ref int, ref float)"/> with any scorer.</summary>
    public void Greedy<TScorer>(HnswGraph graph, ref TScorer scorer, int layer, bool concurrent, ref int node, ref float similarity)
        where TScorer : IRowScorer, allows ref struct
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            int n = Copy(graph, node, layer, concurrent);
            scorer.ScoreMany(links.AsSpan(0, n), scores.AsSpan(0, n));
            for (int j = 0; j < n; j++)
            {
                int c = links[j];
                float s = scores[j];
                if (s > similarity)
                {
                    similarity = s;
                    node = c;
                    changed = true;
                }
            }
        }
    }

    /// <summary>
    /// Best-first search of <paramref name="layer"/> from <paramref name="entry"/>: expands the best unexpanded node
    /// while it could still improve the <paramref name="ef"/> best found, leaving those in <see cref="Results"/>.
    /// Nodes in <paramref name="excluded"/> are walked through but never returned.
    /// </summary>
    public void SearchLayer(HnswGraph graph, FloatRow rows, ReadOnlySpan<float> query, int entry, float entrySimilarity,
        int layer, int ef, bool concurrent, IReadOnlySet<int>? excluded = null)
    {
        var scorer = new FloatScorer(query, rows, graph.Similarity);
        SearchLayer(graph, ref scorer, entry, entrySimilarity, layer, ef, concurrent, excluded);
    }

    /// <summary><see cref="SearchLayer(HnswGraph, FloatRow, ReadOnlySpan{float}, int, float, int, int, bool, IReadOnlySet{int}?)"/> with any scorer.</summary>
    public void SearchLayer<TScorer>(HnswGraph graph, ref TScorer scorer, int entry, float entrySimilarity,
        int layer, int ef, bool concurrent, IReadOnlySet<int>? excluded = null)
        where TScorer : IRowScorer, allows ref struct
    {
        NextTag(graph.Count);
        candidates.Clear();
        Results.Clear();
        visited[entry] = tag;
        float worst = float.NegativeInfinity; // the worst result's similarity while ef are held
        candidates.Enqueue(entry, -entrySimilarity);
        if (excluded is null || !excluded.Contains(entry))
        {
            Results.Enqueue(entry, entrySimilarity);
            if (ef == 1) worst = entrySimilarity;
        }
        while (candidates.TryDequeue(out int node, out float negative))
        {
            if (-negative < worst) break; // nothing left can enter the results
            int n = Copy(graph, node, layer, concurrent), fresh = 0;
            for (int j = 0; j < n; j++) // the links not visited yet, in order, scored in one call
            {
                int c = links[j];
                if (visited[c] == tag) continue;
                visited[c] = tag;
                links[fresh++] = c;
            }
            scorer.ScoreMany(links.AsSpan(0, fresh), scores.AsSpan(0, fresh));
            for (int j = 0; j < fresh; j++)
            {
                int c = links[j];
                float s = scores[j];
                if (Results.Count >= ef && s <= worst) continue;
                candidates.Enqueue(c, -s);
                if (excluded is not null && excluded.Contains(c)) continue;
                Results.Enqueue(c, s);
                if (Results.Count > ef) Results.Dequeue();
                if (Results.Count >= ef) Results.TryPeek(out _, out worst);
            }
        }
    }

    /// <summary><paramref name="node"/>'s links on <paramref name="layer"/>, copied (under its lock when
    /// <paramref name="concurrent"/>) into scratch that the next walk or copy overwrites.</summary>
    public ReadOnlySpan<int> LinksOf(HnswGraph graph, int node, int layer, bool concurrent) => links.AsSpan(0, Copy(graph, node, layer, concurrent));

    /// <summary>Copies <paramref name="node"/>'s links on <paramref name="layer"/> into the scratch; returns how many.</summary>
    private int Copy(HnswGraph graph, int node, int layer, bool concurrent)
    {
        if (!concurrent) return Copy(graph.ListOf(node, layer));
        lock (graph.LockOf(node)) return Copy(graph.ListOf(node, layer));
    }

    private int Copy(ReadOnlySpan<int> list)
    {
        int n = list[0];
        list.Slice(1, n).CopyTo(links);
        return n;
    }

    private void NextTag(int nodes)
    {
        if (visited.Length < nodes)
        {
            visited = new int[Math.Max(nodes, visited.Length * 3 / 2)];
            tag = 0;
        }
        if (++tag == int.MaxValue)
        {
            Array.Clear(visited);
            tag = 1;
        }
    }
}
