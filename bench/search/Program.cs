// Exact top-k search over a random [rows × dim] float32 corpus, against this machine's own limits, measured in the
// same process: memory bandwidth (a stream-like read of the corpus, all cores) for one query, and GEMM peak (Blas.Sgemm
// on a compute-bound square product) for a batch of queries. One JSON line per measurement (medians of --reps).
// run.sh runs this and search_numpy.py interleaved and prints the ratios.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;
using Skald.Tensors.Gemm;

int rows = 1_000_000, dim = 384, k = 10, batch = 256, reps = 5, singles = 8, ivf = 0, pq = 0, pqBits = 8, opq = 0, opqDim = 0, packedScan = 0, graphPq = 0;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--rows": rows = v; break;
        case "--dim": dim = v; break;
        case "--k": k = v; break;
        case "--batch": batch = v; break;
        case "--reps": reps = v; break;
        case "--ivf": ivf = v; break;
        case "--pq": pq = v; break;
        case "--pq-bits": pqBits = v; break;
        case "--opq": opq = v; break;
        case "--opq-dim": opqDim = v; break;
        case "--packed-scan": packedScan = v; break;
        case "--graph-pq": graphPq = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
if (graphPq > 0)
{
    GraphPqBench.Run(rows, dim, graphPq, pqBits, reps); // an HNSW walk over codes: row-by-row against gathered scoring
    return;
}
if (packedScan > 0)
{
    PackedScanBench.Run(rows, packedScan, reps); // 8-bit against packed 6-bit codes, nothing else
    return;
}
int threads = Environment.ProcessorCount;
long elements = (long)rows * dim;
var corpus = GC.AllocateUninitializedArray<float>(checked((int)elements));
Parallel.For(0, threads, t =>
{
    long from = elements * t / threads, to = elements * (t + 1) / threads;
    ulong s = 0x9E3779B97F4A7C15UL * (ulong)(t + 1);
    for (long i = from; i < to; i++)
    {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        corpus[i] = (int)(s >> 40) * (1f / (1 << 24)) - 0.5f;
    }
});
var rng = new Random(7);
float[][] queries = [.. Enumerable.Range(0, Math.Max(batch, singles)).Select(_ => Enumerable.Range(0, dim).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray())];
double bytes = elements * 4.0;

// Memory bandwidth: sum the corpus with Vector256 on every core (the same read single-query search has to do).
double ReadSeconds()
{
    var partial = new float[threads];
    long t0 = Stopwatch.GetTimestamp();
    Parallel.For(0, threads, t =>
    {
        int from = (int)(elements * t / threads), to = (int)(elements * (t + 1) / threads);
        var acc0 = Vector256<float>.Zero; var acc1 = acc0; var acc2 = acc0; var acc3 = acc0;
        var span = corpus.AsSpan(from, to - from);
        int i = 0;
        for (; i + 32 <= span.Length; i += 32)
        {
            acc0 += Vector256.Create(span.Slice(i, 8));
            acc1 += Vector256.Create(span.Slice(i + 8, 8));
            acc2 += Vector256.Create(span.Slice(i + 16, 8));
            acc3 += Vector256.Create(span.Slice(i + 24, 8));
        }
        float sum = Vector256.Sum(acc0 + acc1 + acc2 + acc3);
        for (; i < span.Length; i++) sum += span[i];
        partial[t] = sum;
    });
    double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
    GC.KeepAlive(partial.Sum());
    return s;
}

// GEMM peak: C[n × n] = A[n × kk] · Bᵀ, a compute-bound shape of the same inner dimension, and a square one.
double GemmGflops(int m, int n, int kk)
{
    var a = new float[m * kk]; var b = new float[n * kk]; var c = new float[m * n];
    for (int i = 0; i < a.Length; i++) a[i] = (i % 7) * 0.1f;
    for (int i = 0; i < b.Length; i++) b[i] = (i % 5) * 0.1f;
    Blas.Sgemm(false, true, m, n, kk, 1f, a, kk, b, kk, 0f, c, n);
    var times = new List<double>();
    for (int r = 0; r < reps; r++)
    {
        long t0 = Stopwatch.GetTimestamp();
        Blas.Sgemm(false, true, m, n, kk, 1f, a, kk, b, kk, 0f, c, n);
        times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
    }
    return 2.0 * m * n * kk / Median(times) / 1e9;
}

void Emit(object o) => Console.WriteLine(JsonSerializer.Serialize(o));
string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

ReadSeconds();
var read = Enumerable.Range(0, reps).Select(_ => ReadSeconds()).ToList();
double bandwidth = bytes / Median(read) / 1e9;
Emit(new { engine = "skald", what = "bandwidth", rows, dim, threads, gb_per_s = bandwidth, load });

// One query at a time: the scan path (RowDots on every core).
ExactSearch.TopK([queries[0]], corpus, rows, dim, k);
var single = new List<double>();
for (int r = 0; r < Math.Max(reps, singles); r++)
{
    long t0 = Stopwatch.GetTimestamp();
    ExactSearch.TopK([queries[r % singles]], corpus, rows, dim, k);
    single.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
}
double singleS = Median(single);
Emit(new { engine = "skald", what = "query", rows, dim, k, ms = singleS * 1e3, gb_per_s = bytes / singleS / 1e9,
    pct_bandwidth = 100 * bytes / singleS / 1e9 / bandwidth, load });

// The previous single-query path for comparison: a 1 × chunk GEMM per chunk (the GEMM alone, no heap).
var gemv = new float[ExactSearch.ChunkRows];
var gemvTimes = new List<double>();
for (int r = 0; r < reps; r++)
{
    long t0 = Stopwatch.GetTimestamp();
    for (int start = 0; start < rows; start += ExactSearch.ChunkRows)
    {
        int count = Math.Min(ExactSearch.ChunkRows, rows - start);
        Blas.Sgemm(false, true, 1, count, dim, 1f, queries[r % singles], dim, corpus.AsSpan(start * dim, count * dim), dim, 0f, gemv.AsSpan(0, count), count);
    }
    gemvTimes.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
}
double gemvS = Median(gemvTimes);
Emit(new { engine = "skald", what = "query_gemm_path", rows, dim, ms = gemvS * 1e3, gb_per_s = bytes / gemvS / 1e9,
    pct_bandwidth = 100 * bytes / gemvS / 1e9 / bandwidth, load });

double peakSquare = GemmGflops(1024, 1024, 1024);
double peakShape = GemmGflops(batch, ExactSearch.ChunkRows, dim);
double peak = Math.Max(peakSquare, peakShape);
Emit(new { engine = "skald", what = "gemm", square_1024_gflops = peakSquare, chunk_shape_gflops = peakShape, peak_gflops = peak, load });

var batchQueries = queries[..batch];
ExactSearch.TopK(batchQueries, corpus, Math.Min(rows, 4 * ExactSearch.ChunkRows), dim, k);
var batched = new List<double>();
for (int r = 0; r < Math.Max(2, reps / 2); r++)
{
    long t0 = Stopwatch.GetTimestamp();
    ExactSearch.TopK(batchQueries, corpus, rows, dim, k);
    batched.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
}
double batchS = Median(batched), gflops = 2.0 * batch * rows * dim / batchS / 1e9;
Emit(new { engine = "skald", what = "batch", rows, dim, k, queries = batch, ms = batchS * 1e3, queries_per_s = batch / batchS,
    gflops, pct_gemm_peak = 100 * gflops / peak, backend = Blas.Backend.GetType().Name, load });

// Quantized corpora (sentence-transformers' precisions): one query and the batch, the best k rescored with the float
// rows from the best 4·k (as a binary index with its float file on disk would), against float search, with recall@k
// (random vectors: the hardest case for bits, real embeddings keep more).
var exactTop = queries[..singles].Select(q => ExactSearch.TopK([q], corpus, rows, dim, k)[0].Select(h => h.Index).ToHashSet()).ToArray();
foreach (var precision in new[] { EmbeddingPrecision.Ubinary, EmbeddingPrecision.Int8 })
{
    long q0 = Stopwatch.GetTimestamp();
    var quantized = EmbeddingQuantizer.Quantize(corpus, dim, precision);
    double quantizeS = Stopwatch.GetElapsedTime(q0).TotalSeconds;
    FloatRow floats = r => corpus.AsSpan(r * dim, dim);
    QuantizedSearch.TopK([queries[0]], quantized, k, 4, null, floats);
    var times = new List<double>();
    double recall = 0;
    for (int r = 0; r < singles; r++)
    {
        long t0 = Stopwatch.GetTimestamp();
        var hits = QuantizedSearch.TopK([queries[r]], quantized, k, 4, null, floats)[0];
        times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        recall += hits.Count(h => exactTop[r].Contains(h.Index)) / (double)k / singles;
    }
    long b0 = Stopwatch.GetTimestamp();
    QuantizedSearch.TopK(batchQueries, quantized, k, 4, null, floats);
    double quantBatchS = Stopwatch.GetElapsedTime(b0).TotalSeconds;
    Emit(new { engine = "skald", what = "quantized", precision = EmbeddingQuantizer.Name(precision), rows, dim, k, rescore_multiplier = 4,
        corpus_mb = quantized.Data.LongLength / 1e6, float_corpus_mb = bytes / 1e6, quantize_s = quantizeS,
        query_ms = Median(times) * 1e3, query_speedup_vs_float = singleS / Median(times), recall_at_k = recall,
        batch_queries_per_s = batch / quantBatchS, batch_speedup_vs_float = batchS / quantBatchS, load });
}

// IVF (--ivf 1): the corpus rewritten as clustered unit vectors (20,000 random centres, each row its centre plus noise
// of the same norm: random vectors have no neighbourhoods for lists to find), lists trained and rows grouped as
// `skald index build --ivf-lists` does, then one query at a time at several probe counts against the exact scan of the
// same corpus, with recall@k. --pq M (with --ivf 1) adds product quantization on the same corpus: M-byte codes scanned
// exactly and IVF-PQ (residual codes in the same lists), the best k·4 rescored with the float rows, as an index does.
if (ivf != 0)
{
    var centres = new float[20_000 * dim];
    for (int i = 0; i < centres.Length; i++) centres[i] = (float)(rng.NextDouble() - 0.5);
    Parallel.For(0, threads, t =>
    {
        var local = new Random(100 + t);
        for (int r = (int)((long)rows * t / threads); r < (int)((long)rows * (t + 1) / threads); r++)
        {
            var row = corpus.AsSpan(r * dim, dim);
            centres.AsSpan(local.Next(20_000) * dim, dim).CopyTo(row);
            for (int d = 0; d < dim; d++) row[d] += (float)(local.NextDouble() - 0.5); // the centres' own spread per dimension
            float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(row, row));
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
        }
    });
    var asRows = Enumerable.Range(0, rows).Select(r => corpus[(r * dim)..((r + 1) * dim)]).ToArray();
    var ivfQueries = ExactSearch.Normalize([.. Enumerable.Range(0, 32).Select(i =>
    {
        var q = centres[(rng.Next(20_000) * dim)..][..dim];
        for (int d = 0; d < dim; d++) q[d] += (float)(rng.NextDouble() - 0.5);
        return q;
    })]);
    int nlists = InvertedLists.AutoLists(rows);
    long t0 = Stopwatch.GetTimestamp();
    var lists = InvertedLists.Train(asRows, nlists, null, out var order);
    double trainS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
    float[][] stored = [.. order.Select(i => asRows[i])]; // the rows in list order (the same arrays)
    for (int r = 0; r < rows; r++) stored[r].CopyTo(corpus, (long)r * dim);
    asRows = null;
    var exactTimes = new List<double>();
    var truth = ivfQueries.Select(q =>
    {
        long e0 = Stopwatch.GetTimestamp();
        var top = ExactSearch.TopK([q], corpus, rows, dim, k)[0].Select(h => h.Index).ToHashSet();
        exactTimes.Add(Stopwatch.GetElapsedTime(e0).TotalSeconds);
        return top;
    }).ToArray();
    double exactMs = Median(exactTimes) * 1e3;
    foreach (int probes in new[] { 8, 32, InvertedLists.AutoProbes(nlists), 4 * InvertedLists.AutoProbes(nlists) })
    {
        IvfSearch.TopK([ivfQueries[0]], lists, probes, (s0, c) => corpus.AsSpan(s0 * dim, c * dim), k);
        var times = new List<double>();
        double recall = 0;
        for (int i = 0; i < ivfQueries.Length; i++)
        {
            long q0 = Stopwatch.GetTimestamp();
            var hits = IvfSearch.TopK([ivfQueries[i]], lists, probes, (s0, c) => corpus.AsSpan(s0 * dim, c * dim), k)[0];
            times.Add(Stopwatch.GetElapsedTime(q0).TotalSeconds);
            recall += hits.Count(h => truth[i].Contains(h.Index)) / (double)k / ivfQueries.Length;
        }
        Emit(new { engine = "skald", what = "ivf", rows, dim, k, lists = nlists, probes, train_s = trainS, query_ms = Median(times) * 1e3,
            exact_query_ms = exactMs, speedup_vs_exact = exactMs / (Median(times) * 1e3), recall_at_k = recall, load });
    }
    if (pq > 0)
    {
        FloatRow floats = r => corpus.AsSpan(r * dim, dim);
        foreach (bool residual in new[] { false, true })
        {
            long p0 = Stopwatch.GetTimestamp();
            var quantizer = ProductQuantizer.Train(stored, new ProductQuantizerOptions { Subspaces = pq, Bits = pqBits, RotationRounds = opq, RotationDimension = opqDim }, residual ? lists : null);
            double pqTrainS = Stopwatch.GetElapsedTime(p0).TotalSeconds;
            p0 = Stopwatch.GetTimestamp();
            var codes = ProductCodes.Encode(quantizer, stored, residual ? lists : null);
            double encodeS = Stopwatch.GetElapsedTime(p0).TotalSeconds;
            int[] probeCounts = residual ? [InvertedLists.AutoProbes(nlists), 4 * InvertedLists.AutoProbes(nlists)] : [0];
            foreach (int probes in probeCounts)
                foreach (int multiplier in new[] { 0, 4 })
                {
                    Hit[] One(float[] q) => residual
                        ? PqSearch.TopK([q], lists, probes, codes, k, multiplier, null, floats)[0]
                        : PqSearch.TopK([q], codes, k, multiplier, null, floats)[0];
                    for (int w = 0; w < 8; w++) One(ivfQueries[w % ivfQueries.Length]); // past the JIT's first tiers
                    Thread.Sleep(200);
                    var times = new List<double>();
                    double recall = 0;
                    var found = new Hit[ivfQueries.Length][];
                    for (int i = 0; i < ivfQueries.Length; i++)
                    {
                        long q0 = Stopwatch.GetTimestamp();
                        var hits = found[i] = One(ivfQueries[i]);
                        times.Add(Stopwatch.GetElapsedTime(q0).TotalSeconds);
                        recall += hits.Count(h => truth[i].Contains(h.Index)) / (double)k / ivfQueries.Length;
                    }
                    // Codes of ≤ 16 centroids: the same searches scoring every code (no byte-table skipping), which must find the same hits.
                    double? everyCodeMs = null;
                    if (quantizer.Centroids <= 16)
                    {
                        PqSearch.FastScan = false;
                        for (int w = 0; w < 8; w++) One(ivfQueries[w % ivfQueries.Length]);
                        Thread.Sleep(200);
                        var plain = new List<double>();
                        for (int i = 0; i < ivfQueries.Length; i++)
                        {
                            long q0 = Stopwatch.GetTimestamp();
                            var hits = One(ivfQueries[i]);
                            plain.Add(Stopwatch.GetElapsedTime(q0).TotalSeconds);
                            if (!hits.SequenceEqual(found[i])) throw new InvalidOperationException($"query {i}: the fast scan found other hits than scoring every code");
                        }
                        PqSearch.FastScan = true;
                        everyCodeMs = Median(plain) * 1e3;
                    }
                    Emit(new { engine = "skald", what = residual ? "ivf_pq" : "pq", rows, dim, k, subspaces = pq, bits = pqBits, opq_rounds = opq, opq_dim = opqDim, centroids = quantizer.Centroids,
                        lists = residual ? nlists : 0, probes, rescore_multiplier = multiplier, train_s = pqTrainS, encode_s = encodeS,
                        codes_mb = codes.MemoryBytes / 1e6, query_ms = Median(times) * 1e3, every_code_query_ms = everyCodeMs,
                        exact_query_ms = exactMs, speedup_vs_exact = exactMs / (Median(times) * 1e3), recall_at_k = recall, load });
                }
        }
    }
}

static double Median(List<double> v)
{
    var s = v.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}
