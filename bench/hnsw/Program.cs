// HNSW: Skald's graph (Skald.Retrieval.Hnsw) on a corpus written by `--write DIR` and read back by both this program
// and hnsw_hnswlib.py, so both engines index the same rows. One JSON line per (engine, ef): build seconds (all cores),
// one query at a time on one thread (median ms), recall@k of the exact top k (computed once, at --write).
// `--data DIR --mapped [--rounds 5] [--seconds 1]`: queries/s of the graph read whole against mapped (MappedSpeed.cs).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Skald.Retrieval.Hnsw;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

string? write = null, data = null;
int rows = 200_000, dim = 384, k = 10, m = 16, efc = 200, queries = 200, rounds = 5;
double seconds = 1;
bool mapped = false;
for (int i = 0; i < args.Length; i += 2)
{
    string a = args[i];
    if (a == "--mapped") { mapped = true; i--; continue; }
    string v = args[i + 1];
    switch (a)
    {
        case "--rounds": rounds = int.Parse(v); break;
        case "--seconds": seconds = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
        case "--write": write = v; break;
        case "--data": data = v; break;
        case "--rows": rows = int.Parse(v); break;
        case "--dim": dim = int.Parse(v); break;
        case "--m": m = int.Parse(v); break;
        case "--ef-construction": efc = int.Parse(v); break;
        case "--queries": queries = int.Parse(v); break;
        default: Console.Error.WriteLine($"unknown option {a}"); return 2;
    }
}

if (write is not null)
{
    // Clustered unit vectors: rows/50 random centres, each row a centre plus noise as large as the centres' spread
    // (random vectors have no neighbourhoods, and real embeddings do); queries near random centres.
    var rng = new Random(42);
    int centres = Math.Max(1, rows / 50);
    var c = new float[(long)centres * dim];
    for (long i = 0; i < c.LongLength; i++) c[i] = (float)(rng.NextDouble() - 0.5);
    float[] Near()
    {
        var r = c.AsSpan(rng.Next(centres) * dim, dim).ToArray();
        for (int d = 0; d < dim; d++) r[d] += (float)(rng.NextDouble() - 0.5);
        return r;
    }
    var corpus = ExactSearch.Normalize([.. Enumerable.Range(0, rows).Select(_ => Near())]);
    var qs = ExactSearch.Normalize([.. Enumerable.Range(0, queries).Select(_ => Near())]);
    var truth = ExactSearch.TopK(qs, corpus, k);
    Directory.CreateDirectory(write);
    using (var f = File.Create(Path.Combine(write, "corpus.f32"))) foreach (var r in corpus) f.Write(MemoryMarshal.AsBytes(r.AsSpan()));
    using (var f = File.Create(Path.Combine(write, "queries.f32"))) foreach (var q in qs) f.Write(MemoryMarshal.AsBytes(q.AsSpan()));
    File.WriteAllBytes(Path.Combine(write, "truth.i32"), MemoryMarshal.AsBytes(truth.SelectMany(t => t.Select(h => h.Index)).ToArray().AsSpan()).ToArray());
    File.WriteAllText(Path.Combine(write, "shape.json"), JsonSerializer.Serialize(new { rows, dim, queries, k }));
    return 0;
}
if (data is null) { Console.Error.WriteLine("--write DIR or --data DIR"); return 2; }
var shape = JsonDocument.Parse(File.ReadAllText(Path.Combine(data, "shape.json"))).RootElement;
rows = shape.GetProperty("rows").GetInt32(); dim = shape.GetProperty("dim").GetInt32();
queries = shape.GetProperty("queries").GetInt32(); k = shape.GetProperty("k").GetInt32();
var flat = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(data, "corpus.f32"))).ToArray();
var qflat = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(data, "queries.f32"))).ToArray();
var truthFlat = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Path.Combine(data, "truth.i32"))).ToArray();
var queryRows = Enumerable.Range(0, queries).Select(i => qflat[(i * dim)..((i + 1) * dim)]).ToArray();
ReadOnlySpan<float> Row(int r) => flat.AsSpan(r * dim, dim);
if (mapped) return MappedSpeed.Run(data, Row, rows, m, efc, queryRows, k, rounds, seconds);

long t0 = Stopwatch.GetTimestamp();
var graph = HnswGraph.Build(rows, Row, new HnswOptions { M = m, EfConstruction = efc });
double buildS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
// The same graph walked over int8 rows (an index built with --precision int8 --hnsw): the best k·4 rescored with the float rows.
var int8 = EmbeddingQuantizer.Quantize(Enumerable.Range(0, rows).Select(r => flat[(r * dim)..((r + 1) * dim)]).ToArray(), EmbeddingPrecision.Int8);
Measure("skald", (q, ef) => HnswSearch.TopK([q], graph, Row, k, ef)[0]);
Measure("skald-int8", (q, ef) => HnswSearch.TopK([q], graph, int8, k, ef, 4, floatRows: Row)[0]);

// Median time and recall@k of one query at a time, per ef, after at least a second of warm-up (a walk the build never
// ran, such as the int8 one, must be tiered up by the JIT first).
void Measure(string engine, Func<float[], int, Hit[]> search)
{
    foreach (int ef in new[] { 16, 32, 64, 128, 256 })
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 20 || warm.ElapsedMilliseconds < 1000; i++) search(queryRows[i % queries], ef);
        var times = new double[queries];
        double recall = 0;
        for (int i = 0; i < queries; i++)
        {
            long q0 = Stopwatch.GetTimestamp();
            var hits = search(queryRows[i], ef);
            times[i] = Stopwatch.GetElapsedTime(q0).TotalMilliseconds;
            var truth = truthFlat[(i * k)..((i + 1) * k)];
            recall += hits.Count(h => truth.Contains(h.Index)) / (double)k / queries;
        }
        Array.Sort(times);
        Console.WriteLine(JsonSerializer.Serialize(new { engine, rows, dim, m, ef_construction = efc, ef, build_s = buildS, repaired = graph.Repaired,
            query_ms = times[queries / 2], recall_at_k = recall, threads = Environment.ProcessorCount, load }));
    }
}
return 0;
