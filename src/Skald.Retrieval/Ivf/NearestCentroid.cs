using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Skald.Retrieval.Ivf;

/// <summary>
/// <see cref="KMeans.Assign"/> for short points (<see cref="MaxDimension"/> values or fewer: a product quantizer's
/// sub-vectors), fused: for each point the scores sⱼ = x·cⱼ (+ biasⱼ) of 16 centroids at a time are one FMA chain per
/// lane over the point's values in order, and each lane keeps its best score and centroid as the blocks go by, so the
/// [points × centroids] score matrix the GEMM path writes and reads back (the cost at 8 values a point) is never made.
/// Scores are the managed GEMM path's bits (it too runs one FMA chain from zero in k order, then the bias is added;
/// OpenBLAS, when it is the GEMM backend, may round differently); the winner is the largest score, the lowest centroid on a tie (strictly greater replaces within a lane, the
/// lowest index among lanes that share the maximum). A NaN score never wins. <see cref="AssignScalar"/> is the twin;
/// without Vector512 hardware <see cref="KMeans.Assign"/> keeps the GEMM.
/// </summary>
internal static unsafe class NearestCentroid
{
    /// <summary>The longest point the fused path takes; longer points go through the GEMM.</summary>
    public const int MaxDimension = 32;

    private const int Lanes = 16;

    /// <summary>Whether points of <paramref name="dim"/> values take the fused path on this CPU (Vector512 hardware; else the GEMM).</summary>
    public static bool Applies(int dim) => dim <= MaxDimension && Vector512.IsHardwareAccelerated;

    /// <summary>Points per parallel chunk.</summary>
    private const int Chunk = 1024;

    /// <summary>
    /// assignment[i] = argmaxⱼ xᵢ·cⱼ + biasⱼ (bias empty: none), similarity[i] (if not empty) that score, for
    /// <paramref name="n"/> points <paramref name="data"/> [n × dim] and centroids [k × dim]; chunks of points in parallel.
    /// </summary>
    public static void Assign(ReadOnlySpan<float> data, int n, int dim, ReadOnlySpan<float> centroids, int k,
        ReadOnlySpan<float> bias, Span<int> assignment, Span<float> similarity)
    {
        if (!Applies(dim)) throw new ArgumentOutOfRangeException(nameof(dim), dim, $"the fused path takes at most {MaxDimension} values, on Vector512 hardware");
        int blocks = (k + Lanes - 1) / Lanes;
        // Centroids transposed per block of 16: value t of centroid 16·b + l at (b·dim + t)·16 + l; missing lanes 0,
        // and their bias −∞ so that they never win.
        var columns = new float[blocks * dim * Lanes];
        var offsets = new float[blocks * Lanes];
        for (int j = 0; j < blocks * Lanes; j++)
        {
            int b = j / Lanes, l = j % Lanes;
            for (int t = 0; t < dim && j < k; t++) columns[(b * dim + t) * Lanes + l] = centroids[j * dim + t];
            offsets[j] = j >= k ? float.NegativeInfinity : bias.IsEmpty ? 0f : bias[j];
        }
        bool withBias = !bias.IsEmpty, partial = k % Lanes != 0;
        fixed (float* px = data, pc = columns, pb = offsets)
        fixed (int* pa = assignment)
        fixed (float* ps = similarity)
        {
            nint x = (nint)px, c = (nint)pc, o = (nint)pb, a = (nint)pa, s = (nint)ps;
            bool keep = !similarity.IsEmpty;
            Parallel.For(0, (n + Chunk - 1) / Chunk, chunk =>
            {
                for (int i = chunk * Chunk, end = Math.Min(n, i + Chunk); i < end; i++)
                {
                    var (best, score) = Point512((float*)x + (long)i * dim, dim, (float*)c, (float*)o, blocks, withBias, partial);
                    ((int*)a)[i] = best;
                    if (keep) ((float*)s)[i] = score;
                }
            });
        }
    }

    /// <summary>The twin of <see cref="Assign"/>: the same arithmetic one lane at a time, in one thread.</summary>
    public static void AssignScalar(ReadOnlySpan<float> data, int n, int dim, ReadOnlySpan<float> centroids, int k,
        ReadOnlySpan<float> bias, Span<int> assignment, Span<float> similarity)
    {
        for (int i = 0; i < n; i++)
        {
            var x = data.Slice(i * dim, dim);
            int best = 0;
            float top = float.NegativeInfinity;
            for (int j = 0; j < k; j++)
            {
                float score = 0f;
                for (int t = 0; t < dim; t++) score = MathF.FusedMultiplyAdd(x[t], centroids[j * dim + t], score);
                if (!bias.IsEmpty) score += bias[j];
                if (score > top) (best, top) = (j, score);
            }
            assignment[i] = best;
            if (!similarity.IsEmpty) similarity[i] = top;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Best, float Score) Point512(float* x, int dim, float* columns, float* offsets, int blocks, bool withBias, bool partial)
    {
        var top = Vector512.Create(float.NegativeInfinity);
        var arg = Vector512<int>.Zero;
        var index = Vector512<int>.Indices;
        var step = Vector512.Create(Lanes);
        for (int b = 0; b < blocks; b++, index += step)
        {
            float* column = columns + b * dim * Lanes;
            var score = Vector512<float>.Zero;
            for (int t = 0; t < dim; t++) score = Vector512.FusedMultiplyAdd(Vector512.Create(x[t]), Vector512.Load(column + t * Lanes), score);
            var offset = Vector512.Load(offsets + b * Lanes);
            if (withBias) score += offset;
            else if (partial && b == blocks - 1) score = Vector512.ConditionalSelect(Vector512.Equals(offset, Vector512.Create(float.NegativeInfinity)), offset, score);
            var better = Vector512.GreaterThan(score, top);
            top = Vector512.ConditionalSelect(better, score, top);
            arg = Vector512.ConditionalSelect(better.AsInt32(), index, arg);
        }
        var half = Vector256.Max(top.GetLower(), top.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        float max = MathF.Max(MathF.Max(quarter[0], quarter[1]), MathF.Max(quarter[2], quarter[3]));
        // The lowest centroid among the lanes holding the maximum (every lane when no score beat −∞: centroid 0).
        var tied = Vector512.Equals(top, Vector512.Create(max)).AsInt32();
        var candidates = Vector512.ConditionalSelect(tied, arg, Vector512.Create(int.MaxValue));
        var h = Vector256.Min(candidates.GetLower(), candidates.GetUpper());
        var q = Vector128.Min(h.GetLower(), h.GetUpper());
        return (Math.Min(Math.Min(q[0], q[1]), Math.Min(q[2], q[3])), max);
    }
}
