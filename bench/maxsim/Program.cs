// Exact MaxSim scan of a ColBERT index, float32 / float16 / int8 token vectors: the same synthetic chunks written as
// three index folders through IndexWriter (the one writer), then one query of --query-tokens vectors searched in each
// (SearchIndex.SearchTokens, dense mode: every row scored in parallel, top 10). One JSON line per precision: the median
// of --reps searches, the token data's bytes read per second and the multiply-adds per second (2 · query tokens ·
// document tokens · dim per search). The query and the top 10 go to query.f32 / the JSON line, so maxsim_numpy.py scans
// the same files with the same query and checks the same hits. run.sh runs both and prints the ratios. A last line
// times the kernels alone on one thread (200 chunks held in memory, the thread's CPU time): MaxSim.Score (the float32
// scan's kernel) and MaxSimQuantized's float16 / int8 kernels, all the one GEMM-shaped loop (MaxSimBlock),
// microseconds per chunk. Every GFLOP/s figure is also given as % of the FMA peak measured first (bench/kernel's
// FmaPeakBench, one core, thread CPU time; the scan's against the peak times the threads), and the scan's also per CPU
// second of the process (what a shared host still measures fairly).
// With --plaid-centroids N (N > 0) the same chunks are also written as a PLAID index (N centroids trained on the token
// vectors of --plaid-sample chunks, 2-bit codes) and searched with ColBERT's k = 10 defaults in the same run: one more
// line, precision "plaid", with its recall of the float32 scan's top 10.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Index;
using Skald.Bench.Kernel;
using Skald.Tensors.Kernels;

int chunks = 20_000, minTokens = 100, maxTokens = 180, dim = 128, queryTokens = 32, reps = 5, k = 10, plaidCentroids = 0, plaidSample = 2000;
string folder = Path.Combine(Path.GetTempPath(), "skald-bench-maxsim");
for (int i = 0; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--folder") { folder = args[i + 1]; continue; }
    int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--chunks": chunks = v; break;
        case "--min-tokens": minTokens = v; break;
        case "--max-tokens": maxTokens = v; break;
        case "--dim": dim = v; break;
        case "--query-tokens": queryTokens = v; break;
        case "--reps": reps = v; break;
        case "--plaid-centroids": plaidCentroids = v; break;
        case "--plaid-sample": plaidSample = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}

// Chunk c's token vectors, the same on every call: unit vectors leaning on one shared direction (as ColBERT's do),
// from a xorshift stream seeded by c.
float[] Chunk(int c)
{
    ulong s = 0x9E3779B97F4A7C15UL * (ulong)(c + 1) | 1;
    float Next()
    {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        return (int)(s >> 40) * (1f / (1 << 24)) - 0.5f;
    }
    int n = minTokens + (int)((uint)(c * 2654435761u) % (uint)(maxTokens - minTokens + 1));
    var v = new float[n * dim];
    for (int t = 0; t < n; t++)
    {
        double norm = 0;
        for (int i = 0; i < dim; i++) norm += (v[t * dim + i] = Next() + (i % 16 == 0 ? 0.25f : 0f)) * (double)v[t * dim + i];
        float inv = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < dim; i++) v[t * dim + i] *= inv;
    }
    return v;
}

string Stamp() => $"{chunks} {minTokens} {maxTokens} {dim} v1";
Directory.CreateDirectory(folder);
string stampFile = Path.Combine(folder, "made.txt");
bool fresh = File.Exists(stampFile) && File.ReadAllText(stampFile) == Stamp();
var precisions = new[] { TokenPrecision.Float32, TokenPrecision.Float16, TokenPrecision.Int8 };
if (!fresh)
{
    var records = Enumerable.Range(0, chunks).Select(c => TextIndex.Record($"c{c}", "chunk")).ToList();
    var bm25 = new Bm25Index([.. records.Select(_ => (IReadOnlyList<string>)["chunk"])]);
    foreach (var p in precisions)
    {
        string? name = IndexManifest.TokenPrecisionName(p);
        var manifest = new IndexManifest
        {
            Model = "synthetic", ModelName = "synthetic", Dimension = dim, MultiVector = "colbert", TokenPrecision = name,
            Version = IndexManifest.VersionFor("colbert", name), K1 = 1.2, B = 0.75,
        };
        var clock = Stopwatch.StartNew();
        IndexWriter.Write(Path.Combine(folder, p.ToString().ToLowerInvariant()), manifest, records,
            records.Select(_ => (ReadOnlyMemory<float>)new float[dim]), bm25, tokens: Enumerable.Range(0, chunks).Select(c => (ReadOnlyMemory<float>)Chunk(c)));
        Console.Error.WriteLine($"wrote the {p} index in {clock.Elapsed.TotalSeconds:F1} s");
    }
    File.WriteAllText(stampFile, Stamp());
}

string plaidStamp = Path.Combine(folder, "plaid-made.txt");
if (plaidCentroids > 0 && !(File.Exists(plaidStamp) && File.ReadAllText(plaidStamp) == $"{Stamp()} {plaidCentroids} {plaidSample}"))
{
    var clock = Stopwatch.StartNew();
    int sampled = Math.Min(plaidSample, chunks);
    var training = Enumerable.Range(0, sampled).Select(i => Chunk((int)((long)i * chunks / sampled))).SelectMany(c => c).ToArray();
    var codec = Skald.Retrieval.Plaid.ResidualCodec.Train(training, training.Length / dim, dim, plaidCentroids, 2);
    Console.Error.WriteLine($"trained {codec.CentroidCount} PLAID centroids on {training.Length / dim} token vectors in {clock.Elapsed.TotalSeconds:F1} s");
    var records = Enumerable.Range(0, chunks).Select(c => TextIndex.Record($"c{c}", "chunk")).ToList();
    var bm25 = new Bm25Index([.. records.Select(_ => (IReadOnlyList<string>)["chunk"])]);
    var manifest = new IndexManifest
    {
        Model = "synthetic", ModelName = "synthetic", Dimension = dim, MultiVector = "colbert", TokenPrecision = "plaid",
        Version = IndexManifest.VersionFor("colbert", "plaid"), K1 = 1.2, B = 0.75, PlaidBits = codec.Bits, PlaidCentroids = codec.CentroidCount,
    };
    IndexWriter.Write(Path.Combine(folder, "plaid"), manifest, records, records.Select(_ => (ReadOnlyMemory<float>)new float[dim]), bm25,
        tokens: Enumerable.Range(0, chunks).Select(c => (ReadOnlyMemory<float>)Chunk(c)), plaid: new Skald.Retrieval.Plaid.PlaidWrite(codec));
    Console.Error.WriteLine($"wrote the PLAID index in {clock.Elapsed.TotalSeconds:F1} s");
    File.WriteAllText(plaidStamp, $"{Stamp()} {plaidCentroids} {plaidSample}");
}

double peak = FmaPeakBench.Run(2, 0.2); // GFLOP/s of one core: 512-bit where the CPU has it
var rng = new Random(7);
var query = new float[queryTokens * dim];
for (int t = 0; t < queryTokens; t++) // a chunk's tokens with noise, so the top hits are not ties
{
    var source = Chunk(rng.Next(chunks));
    int n = source.Length / dim, pick = rng.Next(n);
    double norm = 0;
    for (int i = 0; i < dim; i++) norm += (query[t * dim + i] = source[pick * dim + i] + (float)(rng.NextDouble() - 0.5) * 0.1f) * (double)query[t * dim + i];
    for (int i = 0; i < dim; i++) query[t * dim + i] /= (float)Math.Sqrt(norm);
}
File.WriteAllBytes(Path.Combine(folder, "query.f32"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(query.AsSpan()).ToArray());
var tokens = new TokenVectors(query, new int[queryTokens], dim);
string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
int[] exactTop = [];
TokenPrecision[] searched = plaidCentroids > 0 ? [.. precisions, TokenPrecision.Plaid] : precisions;
foreach (var p in searched)
{
    string dir = Path.Combine(folder, p.ToString().ToLowerInvariant());
    using var index = SearchIndex.Open(dir);
    long documentTokens = Enumerable.Range(0, chunks).Sum(r => (long)index.TokenCount(r));
    long bytes = Directory.EnumerateFiles(dir, "tokens.*").Where(f => !f.EndsWith(".offsets", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
    var hits = index.SearchTokens("", tokens, SearchMode.Dense, k); // warm: pages in the cache, code jitted
    var times = new List<double>();
    double cpu0 = CpuTime.Process();
    for (int r = 0; r < reps; r++)
    {
        long t0 = Stopwatch.GetTimestamp();
        hits = index.SearchTokens("", tokens, SearchMode.Dense, k);
        times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }
    double cpu = (CpuTime.Process() - cpu0) / reps;
    times.Sort();
    double s = times[times.Count / 2], flops = 2.0 * queryTokens * documentTokens * dim;
    if (p == TokenPrecision.Float32) exactTop = [.. hits.Select(h => h.Row)];
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        engine = "skald", precision = p.ToString().ToLowerInvariant(), chunks, document_tokens = documentTokens, dim, query_tokens = queryTokens,
        token_mb = bytes / 1e6, ms = s * 1e3, gb_per_s = bytes / s / 1e9, gflops = flops / s / 1e9,
        threads = Environment.ProcessorCount, peak_gflops_per_core = peak, pct_of_peak = 100 * flops / s / 1e9 / (peak * Environment.ProcessorCount),
        cpu_s = cpu, gflops_per_cpu_s = flops / cpu / 1e9, pct_of_peak_per_cpu_s = 100 * flops / cpu / 1e9 / peak, top = hits.Select(h => h.Row).ToArray(), scores = hits.Select(h => h.Score).ToArray(), load,
        recall_of_float32_top10 = hits.Count(h => exactTop.Contains(h.Row)) / (double)k,
        // PLAID only: every centroid probed and every row kept, i.e. the exact scan of the decoded vectors (the codes' share of the loss)
        decoded_scan_recall_of_float32_top10 = p != TokenPrecision.Plaid ? (double?)null
            : index.SearchTokens("", tokens, SearchMode.Dense, k, plaid: new Skald.Retrieval.Plaid.PlaidSearchOptions
            {
                Cells = index.Manifest.PlaidCentroids, Documents = 4 * chunks, CentroidScoreThreshold = float.NegativeInfinity,
            }).Count(h => exactTop.Contains(h.Row)) / (double)k,
    }));
}

// The kernels alone, one thread, chunks in memory (no mapping, no heap, no parallel loop).
int sample = Math.Min(200, chunks);
var f32Rows = Enumerable.Range(0, sample).Select(Chunk).ToArray();
var f16Rows = f32Rows.Select(r => { var h = new ushort[r.Length]; F16.FromSingle(r, h); return h; }).ToArray();
var i8Rows = f32Rows.Select(r =>
{
    var c = new sbyte[r.Length];
    var m = new float[r.Length / dim];
    for (int t = 0; t < m.Length; t++) m[t] = MaxSimQuantized.QuantizeInt8(r.AsSpan(t * dim, dim), c.AsSpan(t * dim, dim));
    return (c, m);
}).ToArray();
long sampleTokens = f32Rows.Sum(r => (long)r.Length / dim);
double Micros(Func<int, float> score)
{
    float sink = 0;
    for (int c = 0; c < sample; c++) sink += score(c);
    var runs = new List<double>();
    for (int r = 0; r < reps; r++)
    {
        double t0 = CpuTime.Thread(); // this thread's CPU time: a shared host's other work is not counted
        for (int c = 0; c < sample; c++) sink += score(c);
        runs.Add((CpuTime.Thread() - t0) * 1e6 / sample);
    }
    GC.KeepAlive(sink);
    runs.Sort();
    return runs[runs.Count / 2];
}
double float32 = Micros(c => MaxSim.Score(query, f32Rows[c], dim));
double half = Micros(c => MaxSimQuantized.ScoreFloat16(query, f16Rows[c], dim)), int8 = Micros(c => MaxSimQuantized.ScoreInt8(query, i8Rows[c].c, i8Rows[c].m, dim));
double flop = 2.0 * queryTokens * sampleTokens / sample * dim;
Console.WriteLine(JsonSerializer.Serialize(new
{
    engine = "skald", precision = "kernels", chunks = sample, tokens_per_chunk = (double)sampleTokens / sample, dim, query_tokens = queryTokens,
    us_per_chunk = new { float32, float16 = half, int8 },
    gflops_one_thread = new { float32 = flop / float32 / 1e3, float16 = flop / half / 1e3, int8 = flop / int8 / 1e3 },
    pct_of_peak_one_thread = new { float32 = 100 * flop / float32 / 1e3 / peak, float16 = 100 * flop / half / 1e3 / peak, int8 = 100 * flop / int8 / 1e3 / peak },
    load,
}));
