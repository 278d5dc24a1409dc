using System.Numerics.Tensors;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// Gives a node of a <see cref="HnswGraph"/> a new row in place, as hnswlib does when addPoint reuses a deleted
/// element's slot (<c>replace_deleted</c> with <c>allow_replace_deleted</c>: updatePoint, then
/// repairConnectionsForUpdate; hnswalg.h at
/// https://github.com/nmslib/hnswlib/blob/c1b9b79af3d10c6ee7b5d0afa1ce851ae975254c/hnswlib/hnswalg.h). On each of the
/// node's layers, every node it links to chooses its links again by the neighbour heuristic from the node's
/// neighbourhood (the node with its new row, the nodes it links to and the nodes those link to; the ef construction
/// most similar kept), so links chosen for the old row do not stay only because it was there; then the node is linked
/// in as an insertion links it (<see cref="HnswConstruction.LinkIn"/>: greedy from the entry point, a search of each
/// of its layers, M kept by the heuristic, reverse links). The node keeps its level (hashed from its slot), so the
/// entry point and top layer stay. As in hnswlib, a node that links to the slot without being linked from it keeps
/// that link (now to the new row); <see cref="HnswRepair"/> after the run links in any row left unreachable.
/// </summary>
internal static class HnswUpdate
{
    /// <summary>Relinks <paramref name="node"/>, whose row <paramref name="rows"/> now returns is its new one.</summary>
    public static void Relink(HnswGraph graph, int node, FloatRow rows, HnswWalker walker, bool concurrent)
    {
        if (graph.Count == 1) return; // the lone node is the entry point, with nothing to link to
        int level = graph.Level(node);
        for (int layer = 0; layer <= level; layer++) Rechoose(graph, node, layer, rows, walker, concurrent);
        HnswConstruction.LinkIn(graph, node, level, graph.EntryPoint, graph.TopLevel, rows, walker, concurrent);
    }

    /// <summary>hnswlib updatePoint's step on one layer: each node <paramref name="node"/> links to re-chooses its links
    /// among the node's neighbourhood.</summary>
    private static void Rechoose(HnswGraph graph, int node, int layer, FloatRow rows, HnswWalker walker, bool concurrent)
    {
        var hood = walker.Neighbourhood(graph, node, layer, concurrent, out int linked);
        if (linked == 0) return;
        int max = layer == 0 ? graph.M0 : graph.M;
        Span<int> kept = stackalloc int[max];
        var scored = walker.Found(hood.Length - 1);
        for (int i = 1; i <= linked; i++)
        {
            int neighbour = hood[i];
            var at = rows(neighbour);
            int n = 0;
            foreach (int c in hood)
                if (c != neighbour) scored[n++] = (c, TensorPrimitives.Dot(at, rows(c)));
            var sorted = scored[..n];
            sorted.Sort(static (a, b) => b.Similarity.CompareTo(a.Similarity) is int c && c != 0 ? c : a.Node.CompareTo(b.Node));
            int count = HnswConstruction.SelectNeighbours(sorted[..Math.Min(n, graph.EfConstruction)], max, rows, kept);
            HnswConstruction.Link(graph, neighbour, layer, kept[..count], concurrent);
        }
    }
}
