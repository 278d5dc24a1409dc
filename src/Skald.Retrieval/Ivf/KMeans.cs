using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Ivf;

/// <summary>
/// k-means by Lloyd's iterations in squared Euclidean distance: the coarse quantizer of an inverted-file index
/// (<see cref="InvertedLists"/>), as faiss's <c>Clustering</c> trains one. Each step assigns every point to its nearest
/// centroid, found as the largest x·c − ½‖c‖² (the same order as ‖x − c‖², from one GEMM of the points against the
/// centroids, the lowest centroid index winning a tie), then moves every centroid to the mean of its points (summed in
/// double). A centroid left without points takes the point farthest from its own centroid that no other empty centroid
/// took in that step (empty clusters in index order, the farthest point first). Training draws a sample of the rows
/// (<see cref="KMeansOptions.PointsPerCentroid"/> per centroid) and starts from distinct sample points, both from a seeded
/// generator, so a build is repeatable. Math, checked against NumPy in <c>fixtures/ivf/make_kmeans.py</c>:
/// assignment a(x) = argmaxⱼ (x·cⱼ − ½‖cⱼ‖²); update cⱼ = (1/|Sⱼ|) Σ_{x ∈ Sⱼ} x.
/// </summary>
public static class KMeans
{
    /// <summary>Bound on the score block of one assignment GEMM (floats): points per block × centroids.</summary>
    private const int ScoreBlock = 1 << 22;

    /// <summary>
    /// Trains <paramref name="k"/> centroids [k × dim] on a seeded sample of <paramref name="vectors"/> (all of one
    /// dimension; at least k of them).
    /// </summary>
    public static float[] Train(IReadOnlyList<float[]> vectors, int k, KMeansOptions? options = null)
    {
        options ??= new KMeansOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (vectors.Count < k) throw new ArgumentException($"{k} centroids need at least {k} points, got {vectors.Count}", nameof(vectors));
        int dim = vectors[0].Length;
        var random = new Random(options.Seed);
        int n = (int)Math.Min(vectors.Count, (long)k * options.PointsPerCentroid);
        int[] sample = Draw(vectors.Count, n, random);
        var data = new float[(long)n * dim];
        for (int i = 0; i < n; i++)
        {
            var v = vectors[sample[i]];
            if (v.Length != dim) throw new ArgumentException($"row {sample[i]} has {v.Length} values, expected {dim}", nameof(vectors));
            v.CopyTo(data, (long)i * dim);
        }
        int[] first = Draw(n, k, random);
        var initial = new float[k * dim];
        for (int j = 0; j < k; j++) Array.Copy(data, (long)first[j] * dim, initial, (long)j * dim, dim);
        return Lloyd(data, n, dim, initial, k, options.Iterations);
    }

    /// <summary>
    /// <paramref name="iterations"/> Lloyd steps from <paramref name="initial"/> [k × dim] over the points
    /// <paramref name="data"/> [n × dim]; returns the centroids (stops early once no assignment changes).
    /// </summary>
    public static float[] Lloyd(float[] data, int n, int dim, float[] initial, int k, int iterations)
    {
        if (initial.Length != k * dim) throw new ArgumentException($"{k} centroids of {dim} need {k * dim} values", nameof(initial));
        if (data.LongLength < (long)n * dim) throw new ArgumentException($"{n} points of {dim} need {(long)n * dim} values", nameof(data));
        var centroids = (float[])initial.Clone();
        var assignment = new int[n];
        var previous = new int[n];
        var distance = new float[n];
        var sums = new double[k * dim];
        var sizes = new int[k];
        for (int it = 0; it < iterations; it++)
        {
            Assign(data, n, dim, centroids, k, assignment, distance);
            if (it > 0 && assignment.AsSpan().SequenceEqual(previous)) break;
            assignment.CopyTo(previous, 0);
            Array.Clear(sums);
            Array.Clear(sizes);
            for (int i = 0; i < n; i++)
            {
                int c = assignment[i];
                sizes[c]++;
                var x = data.AsSpan((int)((long)i * dim), dim);
                var s = sums.AsSpan(c * dim, dim);
                for (int d = 0; d < dim; d++) s[d] += x[d];
            }
            for (int c = 0; c < k; c++)
            {
                if (sizes[c] == 0) continue;
                for (int d = 0; d < dim; d++) centroids[c * dim + d] = (float)(sums[c * dim + d] / sizes[c]);
            }
            Relocate(data, n, dim, centroids, k, sizes, distance);
        }
        return centroids;
    }

    /// <summary>
    /// The nearest centroid of each point: <paramref name="assignment"/>[i] = argmaxⱼ (xᵢ·cⱼ − ½‖cⱼ‖²), lowest j on a
    /// tie; <paramref name="distance"/> (if not empty) gets ‖xᵢ − c‖² for that centroid. Points go through the GEMM in
    /// blocks whose score block stays under 16 MB.
    /// </summary>
    public static void Assign(ReadOnlySpan<float> data, int n, int dim, ReadOnlySpan<float> centroids, int k, Span<int> assignment,
        Span<float> distance = default)
    {
        if (centroids.Length < k * dim) throw new ArgumentException($"{k} centroids of {dim} need {k * dim} values", nameof(centroids));
        var half = HalfNorms(centroids, k, dim);
        int block = Math.Clamp(ScoreBlock / k, 1, Math.Max(1, n));
        var scores = new float[(long)block * k];
        var best = new int[block];
        var top = new float[block];
        for (int start = 0; start < n; start += block)
        {
            int m = Math.Min(block, n - start);
            var x = data.Slice((int)((long)start * dim), m * dim);
            // scores[m × k] = X[m × dim] · Cᵀ
            Blas.Sgemm(false, true, m, k, dim, 1f, x, dim, centroids[..(k * dim)], dim, 0f, scores.AsSpan(0, m * k), k);
            Parallel.For(0, (m + 255) / 256, b =>
            {
                for (int i = b * 256; i < Math.Min(m, b * 256 + 256); i++)
                {
                    var row = scores.AsSpan(i * k, k);
                    int arg = 0;
                    float max = row[0] - half[0];
                    for (int j = 1; j < k; j++)
                    {
                        float s = row[j] - half[j];
                        if (s > max) { max = s; arg = j; }
                    }
                    best[i] = arg;
                    top[i] = max;
                }
            });
            best.AsSpan(0, m).CopyTo(assignment.Slice(start, m));
            if (distance.IsEmpty) continue;
            for (int i = 0; i < m; i++)
            {
                var xi = x.Slice(i * dim, dim);
                distance[start + i] = Math.Max(0f, TensorPrimitives.Dot(xi, xi) - 2f * top[i]);
            }
        }
    }

    /// <summary>½‖cⱼ‖² for each centroid.</summary>
    internal static float[] HalfNorms(ReadOnlySpan<float> centroids, int k, int dim)
    {
        var half = new float[k];
        for (int j = 0; j < k; j++)
        {
            var c = centroids.Slice(j * dim, dim);
            half[j] = 0.5f * TensorPrimitives.Dot(c, c);
        }
        return half;
    }

    /// <summary>Empty clusters take the farthest points (see the class summary).</summary>
    private static void Relocate(float[] data, int n, int dim, float[] centroids, int k, int[] sizes, float[] distance)
    {
        int empty = 0;
        for (int c = 0; c < k; c++) if (sizes[c] == 0) empty++;
        if (empty == 0) return;
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (a, b) => distance[b] != distance[a] ? distance[b].CompareTo(distance[a]) : a.CompareTo(b));
        int next = 0;
        for (int c = 0; c < k && next < n; c++)
        {
            if (sizes[c] != 0) continue;
            Array.Copy(data, (long)order[next++] * dim, centroids, (long)c * dim, dim);
        }
    }

    /// <summary><paramref name="count"/> distinct indices below <paramref name="n"/> in random order (partial Fisher–Yates).</summary>
    private static int[] Draw(int n, int count, Random random)
    {
        var all = Enumerable.Range(0, n).ToArray();
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, n);
            (all[i], all[j]) = (all[j], all[i]);
        }
        return all[..count];
    }
}
