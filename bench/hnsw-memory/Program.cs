// The memory a search of an HNSW graph holds: the graph read whole (HnswGraph.Read, what an index did before) or
// mapped (HnswGraph.Open, what an index does now). `--make FILE --rows N --m M` writes a graph file of that size in
// hnsw.bin's layout with random links (valid, not searched for quality: memory depends on the shape alone);
// `--search FILE --mode read|open` opens it, answers 200 queries at ef 128 over random 16-d rows, and prints the
// process's resident memory from /proc/self/status after the open and after the queries (anonymous: the heap; file:
// mapped pages the kernel may drop). Random links send each query all over the file, unlike a real graph's walk.
using System.Buffers.Binary;
using System.Text.Json;
using Skald.Retrieval.Hnsw;

string? make = null, search = null, mode = "open";
int rows = 1_000_000, m = 16;
for (int i = 0; i < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--make": make = args[i + 1]; break;
        case "--search": search = args[i + 1]; break;
        case "--mode": mode = args[i + 1]; break;
        case "--rows": rows = int.Parse(args[i + 1]); break;
        case "--m": m = int.Parse(args[i + 1]); break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (make is not null)
{
    var rng = new Random(7);
    var levels = Enumerable.Range(0, rows).Select(i => HnswGraph.LevelFor(100, i, m)).ToArray();
    int top = levels.Max(), entry = Array.IndexOf(levels, top);
    var byLevel = Enumerable.Range(0, top + 1).Select(l => Enumerable.Range(0, rows).Where(i => levels[i] >= l).ToArray()).ToArray();
    using var f = new BufferedStream(File.Create(make), 1 << 20);
    var header = new byte[32];
    "SKALDHNS"u8.CopyTo(header);
    int[] fields = [rows, m, 200, 100, entry, top];
    for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8 + 4 * i), fields[i]);
    f.Write(header);
    f.Write(levels.Select(l => (byte)l).ToArray());
    var seen = new HashSet<int>();
    var word = new byte[4];
    void List(int node, int[] pool, int max)
    {
        seen.Clear();
        int n = Math.Min(max, pool.Length - 1);
        while (seen.Count < n) { int c = pool[rng.Next(pool.Length)]; if (c != node) seen.Add(c); }
        BinaryPrimitives.WriteInt32LittleEndian(word, n); f.Write(word);
        foreach (int c in seen) { BinaryPrimitives.WriteInt32LittleEndian(word, c); f.Write(word); }
        for (int j = n; j < max; j++) { BinaryPrimitives.WriteInt32LittleEndian(word, 0); f.Write(word); }
    }
    for (int i = 0; i < rows; i++) List(i, byLevel[0], 2 * m);
    for (int i = 0; i < rows; i++)
        for (int l = 1; l <= levels[i]; l++) List(i, byLevel[l], m);
    return 0;
}
if (search is null) { Console.Error.WriteLine("--make FILE or --search FILE"); return 2; }
var graph = mode == "read" ? HnswGraph.Read(search, rows) : HnswGraph.Open(search, rows);
string Resident()
{
    var status = File.ReadAllLines("/proc/self/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
    return $"{status["RssAnon"]} anonymous, {status["RssFile"]} file";
}
string opened = Resident();
const int dim = 16;
var random = new Random(3);
var flat = new float[(long)rows * dim];
for (long i = 0; i < flat.LongLength; i++) flat[i] = (float)(random.NextDouble() - 0.5);
ReadOnlySpan<float> Row(int r) => flat.AsSpan(r * dim, dim);
var queries = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray()).ToArray();
foreach (var q in queries) HnswSearch.TopK([q], graph, Row, 10, 128);
GC.Collect();
Console.WriteLine(JsonSerializer.Serialize(new
{
    mode, rows, m, file_mb = new FileInfo(search).Length / 1e6, heap_mb = GC.GetTotalMemory(false) / 1e6,
    resident_opened = opened, resident_after_200_queries = Resident(),
}));
graph.Dispose();
return 0;
