// An index's exact distance scan for one query: --rows seeded Gaussian rows of --dim values, one query, the top 10 by
// the negated Euclidean and Manhattan distance, --reps times after a warm-up. Compares the scan as it was before
// session 59 (one heap, every row on the calling thread: restated below) with DistanceSearch.TopK over the rows
// (stripes of 4,096 rows claimed by the cores). One JSON line per function: median milliseconds of each, the speed-up,
// and whether both gave the same hits. Then the kernels (session 59, C2), old and new run in turn each rep and timed in
// process CPU time (the host is shared: wall time is noise): the Manhattan scan on one thread by the scalar L1 loop
// Similarities had (restated below) against VectorDistances.Manhattan, and the int8 / uint8 rows' scan by both
// distances with each row read back into a buffer first (EmbeddingQuantizer.Dequantize, as QuantizedDistanceSearch
// did; restated, one thread) against QuantizedDistanceSearch.TopK (fused, striped); medians of CPU ms and same_hits.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Models.Modules;
using Skald.Retrieval.Quantization;
using Skald.Retrieval.Search;

int rows = 200_000, dim = 384, reps = 7;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--rows": rows = v; break;
        case "--dim": dim = v; break;
        case "--reps": reps = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
var random = new Random(59);
float Gauss() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
var data = new float[(long)rows * dim];
for (long i = 0; i < data.LongLength; i++) data[i] = Gauss();
var query = Enumerable.Range(0, dim).Select(_ => Gauss()).ToArray();
ReadOnlySpan<float> Row(int r) => data.AsSpan((int)((long)r * dim), dim);

foreach (var similarity in new[] { SimilarityFunction.Euclidean, SimilarityFunction.Manhattan })
{
    int[] Serial() => Top10(rows, r => Similarities.Compute(similarity, query, Row(r)));
    int[] Striped() => [.. DistanceSearch.TopK(similarity, [query], rows, Row, 10)[0].Select(h => h.Index)];
    double Median(Func<int[]> run, out int[] hits)
    {
        hits = run();
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            var watch = Stopwatch.StartNew();
            hits = run();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[reps / 2];
    }
    double before = Median(Serial, out var serialHits), after = Median(Striped, out var stripedHits);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        similarity = Similarities.Name(similarity), rows, dim, threads = Skald.Tensors.Parallelism.MaxThreads,
        serial_ms = Math.Round(before, 2), striped_ms = Math.Round(after, 2), speedup = Math.Round(before / after, 2),
        same_hits = serialHits.SequenceEqual(stripedHits),
    }));
}

static double CpuMs(Action run)
{
    var process = Process.GetCurrentProcess();
    var before = process.TotalProcessorTime;
    run();
    process.Refresh();
    return (process.TotalProcessorTime - before).TotalMilliseconds;
}

static int[] Top10(int rows, Func<int, float> score) // every row on this thread into one bounded list (earlier row first on a tie)
{
    var best = new List<Hit>(11);
    for (int r = 0; r < rows; r++)
    {
        float s = score(r);
        if (best.Count == 10 && s <= best[^1].Score) continue;
        int at = best.Count;
        while (at > 0 && best[at - 1].Score < s) at--;
        best.Insert(at, new Hit(r, s));
        if (best.Count > 10) best.RemoveAt(10);
    }
    return [.. best.Select(h => h.Index)];
}

static float ScalarL1(ReadOnlySpan<float> a, ReadOnlySpan<float> b) // Similarities' Manhattan loop before session 59's C2
{
    float sum = 0;
    for (int i = 0; i < a.Length; i++) sum += MathF.Abs(a[i] - b[i]);
    return sum;
}

void Interleaved(string kernel, Func<int[]> old, Func<int[]> fresh)
{
    int[] a = old(), b = fresh();
    var (to, tn) = (new double[reps], new double[reps]);
    for (int i = 0; i < reps; i++)
    {
        to[i] = CpuMs(() => a = old());
        tn[i] = CpuMs(() => b = fresh());
    }
    Array.Sort(to);
    Array.Sort(tn);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        kernel, rows, dim, old_cpu_ms = Math.Round(to[reps / 2], 1), new_cpu_ms = Math.Round(tn[reps / 2], 1),
        cpu_speedup = Math.Round(to[reps / 2] / tn[reps / 2], 2), same_hits = a.SequenceEqual(b),
    }));
}

Interleaved("manhattan_float_one_thread", () => Top10(rows, r => -ScalarL1(query, Row(r))),
    () => Top10(rows, r => Similarities.Compute(SimilarityFunction.Manhattan, query, Row(r))));
var vectors = Enumerable.Range(0, rows).Select(r => Row(r).ToArray()).ToArray();
foreach (var precision in new[] { EmbeddingPrecision.Int8, EmbeddingPrecision.Uint8 })
{
    var corpus = EmbeddingQuantizer.Quantize(vectors, precision);
    var back = new float[dim];
    foreach (var similarity in new[] { SimilarityFunction.Euclidean, SimilarityFunction.Manhattan })
        Interleaved($"{EmbeddingQuantizer.Name(precision)}_{Similarities.Name(similarity)}",
            () => Top10(rows, r =>
            {
                EmbeddingQuantizer.Dequantize(corpus, r, back);
                return Similarities.Compute(similarity, query, back);
            }),
            () => [.. QuantizedDistanceSearch.TopK(similarity, [query], corpus, 10)[0].Select(h => h.Index)]);
}
