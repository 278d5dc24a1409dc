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
        if (data.Length < (long)n * dim || assignment.Length < n || (!similarity.IsEmpty && similarity.Length < n) || centroids.Length < (long)k * dim
            || (!bias.IsEmpty && bias.Length < k))
            throw new ArgumentException($"{n} points of {dim} and {k} centroids need longer spans");
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
        fixed (float* px = data, pc = columns, pb = offsets)
        fixed (int* pa = assignment)
        fixed (float* ps = similarity)
        {
            nint x = (nint)px, c = (nint)pc, o = (nint)pb, a = (nint)pa, s = (nint)ps;
            bool keep = !similarity.IsEmpty;
            Parallel.For(0, (n + Chunk - 1) / Chunk, chunk =>
            {
                int i = chunk * Chunk, end = Math.Min(n, i + Chunk);
                if (blocks < 4)
                    for (; i + 4 <= end; i += 4)
                        Points4((float*)x + (long)i * dim, dim, (float*)c, (float*)o, blocks, (int*)a + i, keep ? (float*)s + i : null);
                for (; i < end; i++)
                {
                    var (best, score) = Point512((float*)x + (long)i * dim, dim, (float*)c, (float*)o, blocks);
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
                score += bias.IsEmpty ? 0f : bias[j];
                if (score > top) (best, top) = (j, score);
            }
            assignment[i] = best;
            if (!similarity.IsEmpty) similarity[i] = top;
        }
    }

    // Block b's scores plus its offsets: the bias, or 0 without one (a −0 score becomes +0, which compares equal), and
    // −∞ in missing lanes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Finish(Vector512<float> score, float* offsets, int b) => score + Vector512.Load(offsets + b * Lanes);

    // Each lane keeps the block's score and centroid where it is strictly better.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep(Vector512<float> score, ref Vector512<float> top, ref Vector512<int> arg, Vector512<int> index)
    {
        var better = Vector512.GreaterThan(score, top);
        top = Vector512.ConditionalSelect(better, score, top);
        arg = Vector512.ConditionalSelect(better.AsInt32(), index, arg);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Best, float Score) Point512(float* x, int dim, float* columns, float* offsets, int blocks)
    {
        var top = Vector512.Create(float.NegativeInfinity);
        var arg = Vector512<int>.Zero;
        var index = Vector512<int>.Indices;
        var step = Vector512.Create(Lanes);
        int b = 0;
        // Eight, then four blocks at a time: independent FMA chains (one chain is bound by the FMA's latency), each
        // lane's chain still over the point's values in order; then the blocks are compared in order.
        for (; b + 8 <= blocks; b += 8)
        {
            float* c0 = columns + b * dim * Lanes;
            int w = dim * Lanes;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (int t = 0; t < dim; t++)
            {
                var v = Vector512.Create(x[t]);
                float* c = c0 + t * Lanes;
                s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c), s0);
                s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + w), s1);
                s2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + 2 * w), s2);
                s3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + 3 * w), s3);
                s4 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + 4 * w), s4);
                s5 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + 5 * w), s5);
                s6 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + 6 * w), s6);
                s7 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c + 7 * w), s7);
            }
            Keep(Finish(s0, offsets, b), ref top, ref arg, index);
            Keep(Finish(s1, offsets, b + 1), ref top, ref arg, index += step);
            Keep(Finish(s2, offsets, b + 2), ref top, ref arg, index += step);
            Keep(Finish(s3, offsets, b + 3), ref top, ref arg, index += step);
            Keep(Finish(s4, offsets, b + 4), ref top, ref arg, index += step);
            Keep(Finish(s5, offsets, b + 5), ref top, ref arg, index += step);
            Keep(Finish(s6, offsets, b + 6), ref top, ref arg, index += step);
            Keep(Finish(s7, offsets, b + 7), ref top, ref arg, index += step);
            index += step;
        }
        for (; b + 4 <= blocks; b += 4)
        {
            float* c0 = columns + b * dim * Lanes;
            float* c1 = c0 + dim * Lanes, c2 = c1 + dim * Lanes, c3 = c2 + dim * Lanes;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int t = 0; t < dim; t++)
            {
                var v = Vector512.Create(x[t]);
                s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c0 + t * Lanes), s0);
                s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c1 + t * Lanes), s1);
                s2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c2 + t * Lanes), s2);
                s3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(c3 + t * Lanes), s3);
            }
            Keep(Finish(s0, offsets, b), ref top, ref arg, index);
            Keep(Finish(s1, offsets, b + 1), ref top, ref arg, index += step);
            Keep(Finish(s2, offsets, b + 2), ref top, ref arg, index += step);
            Keep(Finish(s3, offsets, b + 3), ref top, ref arg, index += step);
            index += step;
        }
        for (; b < blocks; b++, index += step)
        {
            float* column = columns + b * dim * Lanes;
            var score = Vector512<float>.Zero;
            for (int t = 0; t < dim; t++) score = Vector512.FusedMultiplyAdd(Vector512.Create(x[t]), Vector512.Load(column + t * Lanes), score);
            Keep(Finish(score, offsets, b), ref top, ref arg, index);
        }
        return Winner(top, arg);
    }

    // The lanes' best: the largest score, the lowest centroid among the lanes holding it (every lane when no score
    // beat −∞: centroid 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Best, float Score) Winner(Vector512<float> top, Vector512<int> arg)
    {
        var half = Vector256.Max(top.GetLower(), top.GetUpper());
        var q = Vector128.Max(half.GetLower(), half.GetUpper());
        q = Vector128.Max(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        q = Vector128.Max(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2)));
        float max = q.ToScalar();
        var tied = Vector512.Equals(top, Vector512.Create(max)).AsInt32();
        var candidates = Vector512.ConditionalSelect(tied, arg, Vector512.Create(int.MaxValue));
        var h = Vector256.Min(candidates.GetLower(), candidates.GetUpper());
        var m = Vector128.Min(h.GetLower(), h.GetUpper());
        m = Vector128.Min(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Min(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return (m.ToScalar(), max);
    }

    // Four points against every block (few blocks: 16 centroids of 4-bit codes), their four chains independent.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Points4(float* x, int dim, float* columns, float* offsets, int blocks,
        int* assignment, float* similarity)
    {
        Vector512<float> top0 = Vector512.Create(float.NegativeInfinity), top1 = top0, top2 = top0, top3 = top0;
        Vector512<int> arg0 = default, arg1 = default, arg2 = default, arg3 = default;
        var index = Vector512<int>.Indices;
        float* x1 = x + dim, x2 = x1 + dim, x3 = x2 + dim;
        for (int b = 0; b < blocks; b++, index += Vector512.Create(Lanes))
        {
            float* column = columns + b * dim * Lanes;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int t = 0; t < dim; t++)
            {
                var c = Vector512.Load(column + t * Lanes);
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[t]), c, s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Create(x1[t]), c, s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Create(x2[t]), c, s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Create(x3[t]), c, s3);
            }
            Keep(Finish(s0, offsets, b), ref top0, ref arg0, index);
            Keep(Finish(s1, offsets, b), ref top1, ref arg1, index);
            Keep(Finish(s2, offsets, b), ref top2, ref arg2, index);
            Keep(Finish(s3, offsets, b), ref top3, ref arg3, index);
        }
        (assignment[0], var v0) = Winner(top0, arg0);
        (assignment[1], var v1) = Winner(top1, arg1);
        (assignment[2], var v2) = Winner(top2, arg2);
        (assignment[3], var v3) = Winner(top3, arg3);
        if (similarity != null) (similarity[0], similarity[1], similarity[2], similarity[3]) = (v0, v1, v2, v3);
    }
}
