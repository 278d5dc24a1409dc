// PLAID's k-means at ColBERT's default size: --tokens synthetic token vectors of --dim values (unit vectors leaning on a
// shared direction, as ColBERT's do), ResidualCodec.CentroidsFor(tokens) centroids (or --centroids), trained by
// ResidualCodec.Train (spherical k-means, 4 Lloyd iterations, 64 sampled vectors a centroid, buckets from held-out
// residuals), --reps times after one warm-up on a tenth of the vectors. One JSON line: the median seconds, the
// assignment GEMM's share of the flops (2 · points · centroids · dim per iteration) per second, the process's CPU
// seconds, and a checksum of the centroids (the same on every run with the same sizes); then the assignment step alone
// against the previous implementation (see below).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Retrieval.Ivf;
using Skald.Retrieval.Plaid;

int tokens = 100_000, dim = 128, reps = 3, centroids = 0;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--tokens": tokens = v; break;
        case "--dim": dim = v; break;
        case "--reps": reps = v; break;
        case "--centroids": centroids = v; break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
if (centroids <= 0) centroids = ResidualCodec.CentroidsFor(tokens, tokens);

var data = new float[(long)tokens * dim];
ulong s = 0x9E3779B97F4A7C15UL;
for (int t = 0; t < tokens; t++)
{
    var row = data.AsSpan(t * dim, dim);
    for (int d = 0; d < dim; d++)
    {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        row[d] = (int)(s >> 40) * (1f / (1 << 24)) - 0.5f + (d % 16 == 0 ? 0.25f : 0f);
    }
    float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(row, row));
    System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
}

var options = new PlaidOptions().Training;
ResidualCodec.Train(data.AsSpan(0, tokens / 10 * dim), tokens / 10, dim, Math.Max(1, centroids / 10), 2, options); // warm-up
var seconds = new List<double>();
ResidualCodec? codec = null;
var process = Process.GetCurrentProcess();
var cpu0 = process.TotalProcessorTime;
for (int r = 0; r < reps; r++)
{
    var watch = Stopwatch.StartNew();
    codec = ResidualCodec.Train(data, tokens, dim, centroids, 2, options);
    seconds.Add(watch.Elapsed.TotalSeconds);
}
process.Refresh();
double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds / reps;
seconds.Sort();
double median = seconds[seconds.Count / 2];
int heldout = (int)Math.Clamp(tokens * 0.05, 1, 50_000);
long points = Math.Min(tokens - heldout, (long)centroids * options.PointsPerCentroid);
double flops = 2.0 * points * codec!.CentroidCount * dim * options.Iterations;
// The assignment step alone, A/B in this process: KMeans.Assign (packed tiles, blocks in cache) against the
// previous implementation (BlockedGemmAssign below: one GEMM per block of rows with a score block of up to 16 MB,
// then an argmax pass), interleaved, --reps each, same points and centroids; both must agree.
var points95 = data.AsSpan(0, (int)points * dim).ToArray();
var nowA = new int[points];
var oldA = new int[points];
double Cpu() { process.Refresh(); return process.TotalProcessorTime.TotalSeconds; }
var assignNew = new List<(double Wall, double Cpu)>();
var assignOld = new List<(double Wall, double Cpu)>();
for (int r = 0; r < reps; r++)
{
    double c0 = Cpu(); var w = Stopwatch.StartNew();
    KMeans.Assign(points95, (int)points, dim, codec!.Centroids, codec.CentroidCount, nowA);
    assignNew.Add((w.Elapsed.TotalSeconds, Cpu() - c0));
    c0 = Cpu(); w.Restart();
    BlockedGemmAssign(points95, (int)points, dim, codec.Centroids.ToArray(), codec.CentroidCount, oldA);
    assignOld.Add((w.Elapsed.TotalSeconds, Cpu() - c0));
}
if (!nowA.AsSpan().SequenceEqual(oldA)) throw new InvalidOperationException("the two assignments differ");
double Median(List<(double Wall, double Cpu)> v, bool wall) { var x = v.Select(t => wall ? t.Wall : t.Cpu).Order().ToList(); return x[x.Count / 2]; }
double checksum = 0;
var c = codec.Centroids;
for (int i = 0; i < c.Length; i++) checksum += c[i] * (1 + i % 7);
string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
Console.WriteLine(JsonSerializer.Serialize(new
{
    bench = "plaid-kmeans", tokens, dim, centroids = codec.CentroidCount, points, iterations = options.Iterations,
    seconds = median, all_seconds = seconds, cpu_seconds = cpu, assign_gflops = flops / median / 1e9,
    assign_seconds = Median(assignNew, true), assign_cpu_seconds = Median(assignNew, false),
    previous_assign_seconds = Median(assignOld, true), previous_assign_cpu_seconds = Median(assignOld, false),
    checksum, threads = Environment.ProcessorCount, load,
}));

// KMeans.Assign's GEMM path before the packed tiles (kept here as the bench's baseline only).
static void BlockedGemmAssign(float[] data, int n, int dim, float[] centroids, int k, int[] assignment)
{
    int block = Math.Clamp((1 << 22) / k, 1, Math.Max(1, n));
    var scores = new float[block * k];
    var best = new int[block];
    for (int start = 0; start < n; start += block)
    {
        int m = Math.Min(block, n - start);
        Skald.Tensors.Gemm.Blas.Sgemm(false, true, m, k, dim, 1f, data.AsSpan(start * dim, m * dim), dim, centroids, dim, 0f, scores.AsSpan(0, m * k), k);
        Parallel.For(0, (m + 255) / 256, b =>
        {
            for (int i = b * 256; i < Math.Min(m, b * 256 + 256); i++)
                best[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores.AsSpan(i * k, k));
        });
        best.AsSpan(0, m).CopyTo(assignment.AsSpan(start, m));
    }
}
