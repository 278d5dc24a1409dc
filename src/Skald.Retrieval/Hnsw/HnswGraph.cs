using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Skald.Models.Modules;
using Skald.Retrieval.Quantization;

namespace Skald.Retrieval.Hnsw;

/// <summary>
/// A hierarchical navigable small-world graph over an index's rows (Malkov &amp; Yashunin 2016, as hnswlib builds it:
/// https://github.com/nmslib/hnswlib/blob/c1b9b79af3d10c6ee7b5d0afa1ce851ae975254c/hnswlib/hnswalg.h). Node i is row
/// i; its level is drawn once (⌊−ln U · 1/ln M⌋, from the seed and i alone) and it has links on every layer up to it:
/// at most 2M on layer 0, M above. A search enters at <see cref="EntryPoint"/> on the top layer, walks greedily down
/// to layer 1 and searches layer 0 keeping ef candidates (<see cref="HnswSearch"/>); similarity is the inner product
/// (rows unit length for cosine), or a distance index's negated Euclidean or Manhattan distance (<see cref="Similarity"/>). Rows are inserted in order (<see cref="HnswConstruction"/>), so an index's graph
/// grows with the rows added to it; after each insertion run, rows no reachable node links to are linked in
/// (<see cref="HnswRepair"/>, a step hnswlib does not take), so a search as wide as the graph finds every row.
/// <see cref="Replace"/> gives nodes new rows in place (a deleted row's slot reused, <see cref="HnswUpdate"/>).
/// <see cref="Read"/> copies a saved graph into memory; <see cref="Open"/> maps it read-only for searching
/// (<see cref="MappedHnsw"/>).
/// Saved as <c>hnsw.bin</c>, little-endian: 8 bytes "SKALDHNS", int32 nodes, M, ef construction, seed, entry point
/// (−1 when empty), top level; a byte per node (its level); layer 0 as int32 [nodes × (1 + 2M)] (count, then the
/// links); then for each node above layer 0, in node order, int32 [level × (1 + M)] for layers 1 up.
/// </summary>
public sealed class HnswGraph : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "SKALDHNS"u8;
    private const int HeaderBytes = 32;
    private const int Stripes = 1024;

    private int[] links0;    // [capacity × (1 + 2M)]: count, then links
    private int[]?[] upper;  // node → [level × (1 + M)] for layers 1..level, null on layer 0 only
    private byte[] levels;   // [capacity]
    private MappedHnsw? mapped; // a graph opened mapped (Open): read from the file, not the arrays
    private readonly object[] stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new object())];
    private readonly ConcurrentBag<HnswWalker> walkers = [];

    /// <summary>An empty graph with these settings, linked and walked by <paramref name="similarity"/> (<see cref="Similarity"/>).</summary>
    public HnswGraph(int m, int efConstruction, int seed, SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        new HnswOptions { M = m, EfConstruction = efConstruction }.Check();
        Similarity = HnswOptions.GraphSimilarity(similarity);
        M = m;
        EfConstruction = Math.Max(efConstruction, m);
        Seed = seed;
        links0 = [];
        upper = [];
        levels = [];
    }

    /// <summary>
    /// What the graph links and walks by (<see cref="FloatScorer.Pair"/>): <see cref="SimilarityFunction.Dot"/>, the
    /// inner product (a cosine index's rows are at unit length), or <see cref="SimilarityFunction.Euclidean"/> /
    /// <see cref="SimilarityFunction.Manhattan"/>, the negated distance of the raw rows (hnswlib's <c>l2</c> space; L1 is
    /// a metric too, so the same navigable-graph construction holds). Not saved in <c>hnsw.bin</c>: the index's
    /// <c>similarity</c> gives it to <see cref="Read"/> and <see cref="Open"/>.
    /// </summary>
    public SimilarityFunction Similarity { get; }

    /// <summary>Links per node above layer 0.</summary>
    public int M { get; }

    /// <summary>Links per node on layer 0 (2M).</summary>
    public int M0 => 2 * M;

    /// <summary>Candidates kept while a node's links are chosen.</summary>
    public int EfConstruction { get; }

    /// <summary>Seed of the node levels.</summary>
    public int Seed { get; }

    /// <summary>Nodes (rows) in the graph.</summary>
    public int Count { get; private set; }

    /// <summary>Where searches start (−1 when empty): a node on the top layer.</summary>
    public int EntryPoint { get; internal set; } = -1;

    /// <summary>The top layer (−1 when empty).</summary>
    public int TopLevel { get; internal set; } = -1;

    /// <summary>Guards <see cref="EntryPoint"/> and <see cref="TopLevel"/> while rows are inserted concurrently.</summary>
    internal object Top { get; } = new();

    /// <summary>Builds a graph over rows [0, <paramref name="rows"/>) of <paramref name="row"/>.</summary>
    public static HnswGraph Build(int rows, FloatRow row, HnswOptions? options = null, Action<int, int>? progress = null)
    {
        options ??= new HnswOptions();
        options.Check();
        var graph = new HnswGraph(options.M, options.EfConstruction, options.Seed, options.Similarity);
        graph.Insert(rows, row, options.Threads, progress);
        return graph;
    }

    /// <summary>
    /// Inserts rows [<see cref="Count"/>, <paramref name="rows"/>) of <paramref name="row"/> (the rows already in the
    /// graph must not have changed). <paramref name="threads"/>: 1 builds the same graph every run, 0 uses every core
    /// (one below <see cref="SerialBelow"/> rows).
    /// </summary>
    public void Insert(int rows, FloatRow row, int threads = 0, Action<int, int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, Count);
        ThrowIfMapped();
        int first = Count;
        Grow(rows);
        for (int i = first; i < rows; i++) InitNode(i);
        Count = rows;
        Run(rows - first, threads, (i, walker, concurrent) => HnswConstruction.Insert(this, first + i, row, walker, concurrent), progress);
        Repair(row);
    }

    /// <summary>
    /// Gives <paramref name="nodes"/> the rows <paramref name="row"/> now returns for them and links them anew
    /// (<see cref="HnswUpdate"/>, hnswlib's replace_deleted: a deleted row's slot reused for a new row; every other
    /// node's row must be as it was). Each node keeps its level, so the graph keeps its size, entry point and top layer.
    /// <paramref name="threads"/> as for <see cref="Insert"/>.
    /// </summary>
    public void Replace(IReadOnlyList<int> nodes, FloatRow row, int threads = 0, Action<int, int>? progress = null)
    {
        ThrowIfMapped();
        if (nodes.Count == 0) return;
        var slot = new int[Count];
        Array.Fill(slot, -1);
        for (int i = 0; i < nodes.Count; i++)
        {
            int node = nodes[i];
            ArgumentOutOfRangeException.ThrowIfNegative(node);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, Count);
            if (slot[node] >= 0) throw new ArgumentException($"node {node} is given twice", nameof(nodes));
            slot[node] = i;
        }
        var linkedFrom = new List<(int, int)>?[nodes.Count]; // who links to each node, on which layer
        for (int v = 0; v < Count; v++)
            for (int layer = 0; layer <= levels[v]; layer++)
                foreach (int j in Links(v, layer))
                    if (slot[j] >= 0) (linkedFrom[slot[j]] ??= []).Add((v, layer));
        Run(nodes.Count, threads, (i, walker, concurrent) =>
            HnswUpdate.Relink(this, nodes[i], row, walker, concurrent, linkedFrom[i] is { } from ? CollectionsMarshal.AsSpan(from) : []), progress);
        Repair(row);
    }

    /// <summary>Runs <paramref name="one"/> for [0, <paramref name="count"/>) on <paramref name="threads"/> threads (0:
    /// every core, one below <see cref="SerialBelow"/>), each with its own walker and told whether others run beside it.</summary>
    private void Run(int count, int threads, Action<int, HnswWalker, bool> one, Action<int, int>? progress)
    {
        int workers = threads > 0 ? threads : count < SerialBelow ? 1 : Skald.Tensors.Parallelism.MaxThreads;
        bool concurrent = workers > 1 && count > 1;
        int done = 0;
        void Step(int i, HnswWalker walker)
        {
            one(i, walker, concurrent);
            int d = Interlocked.Increment(ref done);
            if (progress is not null && (d % 4096 == 0 || d == count)) progress(d, count);
        }
        if (!concurrent)
        {
            var walker = RentWalker();
            for (int i = 0; i < count; i++) Step(i, walker);
            ReturnWalker(walker);
            return;
        }
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            var walker = RentWalker();
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) Step(i, walker);
            ReturnWalker(walker);
        });
    }

    /// <summary>Links in the rows the heuristic left without a way in (<see cref="HnswRepair"/>).</summary>
    private void Repair(FloatRow row)
    {
        var repairer = RentWalker();
        Repaired += HnswRepair.Repair(this, row, repairer);
        ReturnWalker(repairer);
    }

    /// <summary>Nodes linked in after insertion because no reachable node linked to them (<see cref="HnswRepair"/>); not saved.</summary>
    public int Repaired { get; private set; }

    /// <summary>
    /// Rows inserted on one thread when the caller leaves the thread count to the graph (0): fewer than this take well
    /// under a second, and one thread builds the same graph on every run.
    /// </summary>
    public const int SerialBelow = 4096;

    /// <summary>The level of <paramref name="node"/>.</summary>
    public int Level(int node) => mapped?.Level(node) ?? levels[node];

    /// <summary>The links of <paramref name="node"/> on <paramref name="layer"/> (no lock: a graph not being built).</summary>
    public ReadOnlySpan<int> Links(int node, int layer)
    {
        var list = ListOf(node, layer);
        return list.Slice(1, list[0]);
    }

    /// <summary>The level a node with this seed is given: ⌊−ln U / ln M⌋ with U in (0, 1] hashed from (seed, node).</summary>
    public static int LevelFor(int seed, int node, int m)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)node) + 0x9E3779B97F4A7C15UL; // splitmix64
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double u = ((z >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        return (int)Math.Min(-Math.Log(u) / Math.Log(m), 31);
    }

    /// <summary>The count-prefixed list of <paramref name="node"/> on <paramref name="layer"/>, [1 + max links].</summary>
    internal Span<int> List(int node, int layer) => layer == 0
        ? links0.AsSpan(node * (1 + M0), 1 + M0)
        : upper[node].AsSpan((layer - 1) * (1 + M), 1 + M);

    /// <summary><see cref="List"/> to read, from the file when the graph is mapped.</summary>
    internal ReadOnlySpan<int> ListOf(int node, int layer) => mapped is null ? List(node, layer) : mapped.List(node, layer);

    /// <summary>The lock guarding <paramref name="node"/>'s lists while rows are inserted concurrently.</summary>
    internal object LockOf(int node) => stripes[node & (Stripes - 1)];

    /// <summary>A search's scratch (pooled: searches allocate nothing once warm).</summary>
    internal HnswWalker RentWalker()
    {
        if (walkers.TryTake(out var w)) return w;
        return new HnswWalker(M0);
    }

    /// <summary>Returns a walker for the next search.</summary>
    internal void ReturnWalker(HnswWalker walker) => walkers.Add(walker);

    private void Grow(int rows)
    {
        if (rows <= levels.Length) return;
        int capacity = Math.Max(rows, Math.Min(int.MaxValue / (1 + M0), Math.Max(16, levels.Length * 3 / 2)));
        Array.Resize(ref levels, capacity);
        Array.Resize(ref upper, capacity);
        Array.Resize(ref links0, checked(capacity * (1 + M0)));
    }

    private void InitNode(int node)
    {
        int level = LevelFor(Seed, node, M);
        levels[node] = (byte)level;
        upper[node] = level == 0 ? null : new int[level * (1 + M)];
    }

    /// <summary>Writes <c>hnsw.bin</c>'s bytes (the class summary gives the layout).</summary>
    public void Write(Stream stream)
    {
        if (mapped is not null)
        {
            for (long at = 0; at < mapped.Length; at += 1 << 20) stream.Write(mapped.Bytes(at, (int)Math.Min(1 << 20, mapped.Length - at)));
            return;
        }
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        int[] fields = [Count, M, EfConstruction, Seed, EntryPoint, TopLevel];
        for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header[(8 + 4 * i)..], fields[i]);
        stream.Write(header);
        stream.Write(levels.AsSpan(0, Count));
        stream.Write(MemoryMarshal.AsBytes(links0.AsSpan(0, Count * (1 + M0))));
        for (int i = 0; i < Count; i++)
            if (upper[i] is { } u) stream.Write(MemoryMarshal.AsBytes(u.AsSpan()));
    }

    /// <summary>
    /// Reads <paramref name="path"/>, checking it against the index's rows; a damaged file throws
    /// <see cref="EvaluationException"/> naming it. <paramref name="similarity"/>: what it was linked by (<see cref="Similarity"/>).
    /// </summary>
    public static HnswGraph Read(string path, int rows, SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (an HNSW index; index damaged?)");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        void Fill(Span<byte> into, string what)
        {
            if (stream.ReadAtLeast(into, into.Length, throwOnEndOfStream: false) < into.Length)
                throw new EvaluationException($"{path}: {stream.Length} bytes, too short for {what}");
        }
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (stream.Length < HeaderBytes) throw new EvaluationException($"{path}: not a Skald HNSW file");
        Fill(header, "the header");
        var (count, m, efc, seed, entry, top) = Header(header, path, rows);
        var graph = new HnswGraph(m, efc, seed, similarity);
        graph.Grow(count);
        graph.Count = count;
        Fill(graph.levels.AsSpan(0, count), $"{count} nodes");
        Fill(MemoryMarshal.AsBytes(graph.links0.AsSpan(0, count * (1 + graph.M0))), $"{count} nodes' links");
        for (int i = 0; i < count; i++)
        {
            int level = graph.levels[i];
            if (level == 0) continue;
            if (level > 31) throw new EvaluationException($"{path}: node {i} has level {level}");
            var u = graph.upper[i] = new int[level * (1 + m)];
            Fill(MemoryMarshal.AsBytes(u.AsSpan()), $"node {i}'s {level} upper layers");
        }
        if (stream.Position != stream.Length) throw new EvaluationException($"{path}: {stream.Length - stream.Position} bytes after the graph");
        graph.EntryPoint = entry;
        graph.TopLevel = top;
        string? problem = graph.Problem();
        if (problem is not null) throw new EvaluationException($"{path}: {problem}");
        return graph;
    }

    /// <summary>
    /// Opens <paramref name="path"/> memory-mapped for searching (<see cref="MappedHnsw"/>): the links stay in the file
    /// and are read where a search goes, instead of copied into memory as <see cref="Read"/> copies them; checked as
    /// <see cref="Read"/> checks it. The graph is read-only (<see cref="Insert"/> and <see cref="Replace"/> throw) and
    /// holds the file open until <see cref="Dispose"/>. <paramref name="similarity"/> as for <see cref="Read"/>.
    /// </summary>
    public static HnswGraph Open(string path, int rows, SimilarityFunction similarity = SimilarityFunction.Dot)
    {
        if (!File.Exists(path)) throw new EvaluationException($"{path}: missing (an HNSW index; index damaged?)");
        Span<byte> header = stackalloc byte[HeaderBytes];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
            if (stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes) throw new EvaluationException($"{path}: not a Skald HNSW file");
        var (count, m, efc, seed, entry, top) = Header(header, path, rows);
        var graph = new HnswGraph(m, efc, seed, similarity) { mapped = new MappedHnsw(path, count, m, HeaderBytes) };
        graph.Count = count;
        graph.EntryPoint = entry;
        graph.TopLevel = top;
        var searching = graph.mapped!;
        string? problem;
        using (var checking = searching.View()) // the check reads every page: through a view unmapped after it, so none stays resident
        {
            graph.mapped = checking;
            try { problem = graph.Problem(); }
            finally { graph.mapped = searching; }
        }
        if (problem is not null)
        {
            graph.Dispose();
            throw new EvaluationException($"{path}: {problem}");
        }
        return graph;
    }

    /// <summary>hnsw.bin's header fields (<see cref="Count"/>, <see cref="M"/>, ef construction, seed, entry point, top
    /// level), checked against an index of <paramref name="rows"/> rows.</summary>
    private static (int Count, int M, int Efc, int Seed, int Entry, int Top) Header(ReadOnlySpan<byte> header, string path, int rows)
    {
        if (!header[..8].SequenceEqual(Magic)) throw new EvaluationException($"{path}: not a Skald HNSW file");
        int Field(ReadOnlySpan<byte> h, int i) => BinaryPrimitives.ReadInt32LittleEndian(h[(8 + 4 * i)..]);
        int count = Field(header, 0), m = Field(header, 1), efc = Field(header, 2);
        if (count != rows) throw new EvaluationException($"{path}: a graph of {count} nodes, the index holds {rows} rows");
        if (m is < 2 or > 100 || efc < m) throw new EvaluationException($"{path}: M {m}, ef construction {efc}");
        return (count, m, efc, Field(header, 3), Field(header, 4), Field(header, 5));
    }

    private void ThrowIfMapped()
    {
        if (mapped is not null) throw new InvalidOperationException("a graph opened mapped is read-only: read it (HnswGraph.Read) to add to it");
    }

    /// <summary>Whether the graph was opened mapped (<see cref="Open"/>): read from its file, read-only.</summary>
    public bool Mapped => mapped is not null;

    /// <summary>Throws <see cref="EvaluationException"/> when a mapped graph's file was cut shorter since it was opened.</summary>
    internal void ThrowIfCut() => mapped?.ThrowIfCut();

    /// <summary>Releases a mapped graph's file (nothing for one in memory).</summary>
    public void Dispose() => mapped?.Dispose();

    /// <summary>The first broken invariant (a link out of range, to itself, twice, or to a node without that layer;
    /// too many links; an entry point off the top layer), or null.</summary>
    internal string? Problem()
    {
        if (Count == 0) return EntryPoint == -1 && TopLevel == -1 ? null : $"an empty graph with entry point {EntryPoint}";
        if ((uint)EntryPoint >= (uint)Count || Level(EntryPoint) != TopLevel) return $"entry point {EntryPoint} is not a node on the top layer {TopLevel}";
        var seen = new HashSet<int>();
        for (int i = 0; i < Count; i++)
        {
            int level = Level(i);
            if (level > TopLevel) return $"node {i} has level {level} above the top layer {TopLevel}";
            for (int layer = 0; layer <= level; layer++)
            {
                var list = ListOf(i, layer);
                if ((uint)list[0] > (uint)(list.Length - 1)) return $"node {i} has {list[0]} links on layer {layer}";
                seen.Clear();
                foreach (int j in list.Slice(1, list[0]))
                {
                    if ((uint)j >= (uint)Count || j == i || !seen.Add(j) || Level(j) < layer)
                        return $"node {i} links to {j} on layer {layer}";
                }
            }
        }
        return null;
    }
}
