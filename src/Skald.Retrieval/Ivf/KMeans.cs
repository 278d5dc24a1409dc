using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Retrieval.Ivf;

/// <summary>
/// Spherical k-means by Lloyd's iterations: the coarse quantizer of an inverted-file index (<see cref="InvertedLists"/>),
/// as faiss's <c>Clustering</c> trains one with <c>spherical = true</c>, its setting for inner-product search. Centroids
/// are unit vectors; each step assigns every point to the centroid of largest inner product (the GEMM of the points
/// against the centroids, blocked by <see cref="CentroidScorer"/> so that the scores stay in cache and the packed
/// centroids are refilled in place step after step, or <see cref="NearestCentroid"/>'s fused kernel for short points;
/// the lowest centroid index winning a tie), then moves every centroid to the normalised mean of
/// its points (summed in double). A centroid left without points takes the (normalised) point least similar to its own
/// centroid that no other empty centroid took in that step (empty clusters in index order, the least similar point
/// first). Training draws a sample of the rows (<see cref="KMeansOptions.PointsPerCentroid"/> per centroid) and starts
/// from distinct sample points, both from a seeded generator, so a build is repeatable. Why inner product and not
/// Euclidean distance: the search scores rows by inner product, and the mean of q·x over a list's rows is q·(their
/// mean), so probing by q·c ranks lists by how similar their rows are to the query on average (a Euclidean probe,
/// q·c − ½‖c‖², also weighs how spread a list is; on the shared suite's tasks the two scored within a few points of
/// each other, either way round). Math,
/// checked against NumPy in <c>fixtures/ivf/make_kmeans.py</c>: a(x) = argmaxⱼ x·cⱼ; cⱼ = mⱼ / ‖mⱼ‖ with
/// mⱼ = (1/|Sⱼ|) Σ_{x ∈ Sⱼ} x. With <see cref="KMeansOptions.Spherical"/> off (a product quantizer's sub-codebooks,
/// faiss's default L2 clustering) the same steps run in Euclidean terms: a(x) = argminⱼ ‖x − cⱼ‖², computed as
/// argmaxⱼ x·cⱼ − ½‖cⱼ‖² through the same GEMM; cⱼ = mⱼ unnormalised; starting points as drawn; an empty centroid takes
/// the point farthest from its own centroid (largest ‖x − c‖²).
/// </summary>
public static class KMeans
{
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
        int n = (int)Math.Min(Math.Min(vectors.Count, (long)k * options.PointsPerCentroid), Array.MaxLength / dim); // one array
        if (n < k) throw new ArgumentException($"{k} centroids of {dim} dimensions do not fit one training sample", nameof(k));
        int[] sample = Draw(vectors.Count, n, random);
        var data = new float[(long)n * dim];
        for (int i = 0; i < n; i++)
        {
            var v = vectors[sample[i]];
            if (v.Length != dim) throw new ArgumentException($"row {sample[i]} has {v.Length} values, expected {dim}", nameof(vectors));
            v.CopyTo(data, (long)i * dim);
        }
        return TrainOn(data, n, dim, k, options, random);
    }

    /// <summary>
    /// Trains <paramref name="k"/> centroids on the points <paramref name="data"/> [n × dim] (already the sample), from
    /// k distinct points drawn by <paramref name="random"/> (normalised when spherical).
    /// </summary>
    internal static float[] TrainOn(float[] data, int n, int dim, int k, KMeansOptions options, Random random)
    {
        int[] first = Draw(n, k, random);
        var initial = new float[k * dim];
        for (int j = 0; j < k; j++)
        {
            var x = data.AsSpan((int)((long)first[j] * dim), dim);
            if (options.Spherical) Unit(x, initial.AsSpan(j * dim, dim));
            else x.CopyTo(initial.AsSpan(j * dim, dim));
        }
        return Lloyd(data, n, dim, initial, k, options.Iterations, options.Spherical);
    }

    /// <summary>
    /// <paramref name="iterations"/> Lloyd steps from <paramref name="initial"/> [k × dim] (unit vectors) over the points
    /// <paramref name="data"/> [n × dim]; returns the centroids (stops early once no assignment changes).
    /// <paramref name="spherical"/>: inner-product steps with unit centroids (true) or Euclidean ones (false; see the
    /// class summary).
    /// </summary>
    public static float[] Lloyd(float[] data, int n, int dim, float[] initial, int k, int iterations, bool spherical = true)
    {
        if (initial.Length != k * dim) throw new ArgumentException($"{k} centroids of {dim} need {k * dim} values", nameof(initial));
        if (data.LongLength < (long)n * dim) throw new ArgumentException($"{n} points of {dim} need {(long)n * dim} values", nameof(data));
        var centroids = (float[])initial.Clone();
        var assignment = new int[n];
        var previous = new int[n];
        var similarity = new float[n];
        var sums = new double[k * dim];
        var sizes = new int[k];
        var bias = spherical ? null : new float[k];
        var squares = spherical ? null : new float[n];
        var scorer = NearestCentroid.Applies(dim) ? null : new CentroidScorer(dim, k); // packed once, refilled every step
        var order = new long[n];
        if (squares is not null)
            for (int i = 0; i < n; i++) { var x = data.AsSpan((int)((long)i * dim), dim); squares[i] = TensorPrimitives.Dot(x, x); }
        for (int it = 0; it < iterations; it++)
        {
            if (bias is not null) HalfSquaredNorms(centroids, k, dim, bias);
            if (scorer is null) NearestCentroid.Assign(data, n, dim, centroids, k, bias, assignment, similarity);
            else
            {
                scorer.Load(centroids, bias);
                scorer.Assign(data, n, assignment, similarity);
            }
            if (squares is not null)
                for (int i = 0; i < n; i++) similarity[i] = 2 * similarity[i] - squares[i]; // −‖x − c‖²: the farthest is the least similar
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
                if (!spherical)
                {
                    for (int d = 0; d < dim; d++) centroids[c * dim + d] = (float)(sums[c * dim + d] / sizes[c]);
                    continue;
                }
                double norm = 0;
                for (int d = 0; d < dim; d++) norm += sums[c * dim + d] * sums[c * dim + d];
                if (norm == 0) continue; // points that cancel out: the centroid stays
                double scale = 1 / Math.Sqrt(norm);
                for (int d = 0; d < dim; d++) centroids[c * dim + d] = (float)(sums[c * dim + d] * scale);
            }
            Relocate(data, n, dim, centroids, k, sizes, similarity, spherical, order);
        }
        return centroids;
    }

    /// <summary><paramref name="bias"/>[j] = −½‖cⱼ‖²: added to x·cⱼ, the largest is the nearest centroid in Euclidean distance.</summary>
    internal static void HalfSquaredNorms(ReadOnlySpan<float> centroids, int k, int dim, Span<float> bias)
    {
        for (int j = 0; j < k; j++)
        {
            var c = centroids.Slice(j * dim, dim);
            bias[j] = -0.5f * TensorPrimitives.Dot(c, c);
        }
    }

    /// <summary>
    /// The most similar centroid of each point: <paramref name="assignment"/>[i] = argmaxⱼ xᵢ·cⱼ, lowest j on a tie;
    /// <paramref name="similarity"/> (if not empty) gets that largest xᵢ·cⱼ. With <paramref name="bias"/> [k] the
    /// scores are xᵢ·cⱼ + biasⱼ (<see cref="HalfSquaredNorms"/>: the nearest centroid in Euclidean distance). Points go
    /// through the GEMM in blocks whose score block stays under 16 MB, or, when short (a product quantizer's
    /// sub-vectors), through <see cref="NearestCentroid"/>'s fused kernel (the same scores, no score matrix).
    /// </summary>
    public static void Assign(ReadOnlySpan<float> data, int n, int dim, ReadOnlySpan<float> centroids, int k, Span<int> assignment,
        Span<float> similarity = default, ReadOnlySpan<float> bias = default)
    {
        if (!bias.IsEmpty && bias.Length != k) throw new ArgumentException($"{bias.Length} biases for {k} centroids", nameof(bias));
        if (centroids.Length < k * dim) throw new ArgumentException($"{k} centroids of {dim} need {k * dim} values", nameof(centroids));
        if (NearestCentroid.Applies(dim))
        {
            NearestCentroid.Assign(data, n, dim, centroids, k, bias, assignment, similarity);
            return;
        }
        var scorer = new CentroidScorer(dim, k);
        scorer.Load(centroids, bias);
        scorer.Assign(data, n, assignment, similarity);
    }

    /// <summary>
    /// The scalar twin of <see cref="Assign"/>: each score xᵢ·cⱼ one fused multiply-add chain from zero in value order
    /// (the managed GEMM's arithmetic), plus biasⱼ, the first largest kept.
    /// </summary>
    internal static void AssignScalar(ReadOnlySpan<float> data, int n, int dim, ReadOnlySpan<float> centroids, int k, Span<int> assignment,
        Span<float> similarity = default, ReadOnlySpan<float> bias = default)
    {
        for (int i = 0; i < n; i++)
        {
            var x = data.Slice(i * dim, dim);
            int arg = 0;
            float top = float.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                var c = centroids.Slice(j * dim, dim);
                float score = 0;
                for (int d = 0; d < dim; d++) score = MathF.FusedMultiplyAdd(x[d], c[d], score);
                if (!bias.IsEmpty) score += bias[j];
                if (j == 0 || score > top) (top, arg) = (score, j);
            }
            assignment[i] = arg;
            if (!similarity.IsEmpty) similarity[i] = top;
        }
    }

    /// <summary><paramref name="into"/> = <paramref name="x"/> / ‖x‖ (a zero vector stays zero).</summary>
    private static void Unit(ReadOnlySpan<float> x, Span<float> into)
    {
        float norm = MathF.Sqrt(TensorPrimitives.Dot(x, x));
        if (norm == 0) into.Clear();
        else TensorPrimitives.Divide(x, norm, into);
    }

    /// <summary>
    /// Empty clusters take the least similar points (see the class summary): the points ordered by similarity, then
    /// index, through one sort of 64-bit keys in <paramref name="order"/> [n] (the similarity's bits made to order as
    /// integers, above the index), so the step allocates nothing.
    /// </summary>
    private static void Relocate(float[] data, int n, int dim, float[] centroids, int k, int[] sizes, float[] similarity, bool spherical, long[] order)
    {
        int empty = 0;
        for (int c = 0; c < k; c++) if (sizes[c] == 0) empty++;
        if (empty == 0) return;
        for (int i = 0; i < n; i++)
        {
            int bits = BitConverter.SingleToInt32Bits(similarity[i] == 0 ? 0f : similarity[i]); // −0 as 0, as CompareTo
            if (bits < 0) bits ^= int.MaxValue; // negative floats: larger magnitude, smaller integer
            order[i] = ((long)bits << 32) | (uint)i;
        }
        Array.Sort(order, 0, n);
        int next = 0;
        for (int c = 0; c < k && next < n; c++)
        {
            if (sizes[c] != 0) continue;
            var x = data.AsSpan((int)((long)(int)(order[next++] & 0xFFFFFFFF) * dim), dim);
            if (spherical) Unit(x, centroids.AsSpan(c * dim, dim));
            else x.CopyTo(centroids.AsSpan(c * dim, dim));
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
