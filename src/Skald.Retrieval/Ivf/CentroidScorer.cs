using System.Numerics.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors;

namespace Skald.Retrieval.Ivf;

/// <summary>
/// <see cref="KMeans.Assign"/>'s GEMM path for long points, blocked so that nothing large is written: the centroids are
/// packed once per <see cref="Load"/> in tiles of <see cref="TileCentroids"/> (<see cref="Blas.Pack"/>, the GEMM's own
/// panel layout, packed again in place on the next load), and the points go in blocks of <see cref="BlockPoints"/>,
/// the blocks shared among the cores (<see cref="Parallelism.For{TState}"/>: each block's products run on its thread).
/// For each block and tile one product writes the block's scores against the tile (96 × 1,024 floats, 384 KB: in the
/// core's cache), the bias is added, and each point keeps the tile's best if it beats the best of the tiles before it
/// (strictly: the lowest centroid index wins a tie, as one argmax over the whole row). Every score is the GEMM's own
/// (one FMA chain in k order whatever the blocking), so the assignment is the one score matrix's argmax, whichever
/// thread took which block. After <see cref="Load"/> an <see cref="Assign"/> allocates nothing (the per-thread score
/// blocks are made once a thread). The twin is <see cref="KMeans.AssignScalar"/>.
/// </summary>
internal sealed unsafe class CentroidScorer
{
    /// <summary>Centroids per packed tile.</summary>
    public const int TileCentroids = 1024;

    /// <summary>Points per block (a multiple of every kernel's row tile: 12, 6, 4).</summary>
    public const int BlockPoints = 96;

    [ThreadStatic] private static float[]? scratch;

    private readonly int dim, k;
    private readonly float[] centroids, bias;
    private readonly PackedMatrix?[] tiles;
    private bool biased;

    /// <summary>A scorer of <paramref name="k"/> centroids of <paramref name="dim"/> values (their values come with <see cref="Load"/>).</summary>
    public CentroidScorer(int dim, int k)
    {
        (this.dim, this.k) = (dim, k);
        centroids = new float[(long)k * dim];
        bias = new float[k];
        tiles = new PackedMatrix?[(k + TileCentroids - 1) / TileCentroids];
    }

    /// <summary>
    /// Takes <paramref name="values"/> [k × dim] as the centroids and <paramref name="offsets"/> [k] (empty: none) as
    /// the biases, and packs the tiles (in place after the first load on the managed backend: no allocation).
    /// </summary>
    public void Load(ReadOnlySpan<float> values, ReadOnlySpan<float> offsets)
    {
        values[..centroids.Length].CopyTo(centroids);
        biased = !offsets.IsEmpty;
        if (biased) offsets[..k].CopyTo(bias);
        for (int t = 0; t < tiles.Length; t++)
        {
            int first = t * TileCentroids, width = Math.Min(TileCentroids, k - first);
            var tile = centroids.AsSpan(first * dim, width * dim);
            if (tiles[t] is { } packed && Blas.Repack(packed, true, tile, dim)) continue;
            tiles[t] = Blas.Pack(true, dim, width, tile, dim);
        }
    }

    /// <summary>
    /// assignment[i] = argmaxⱼ xᵢ·cⱼ (+ biasⱼ), the lowest j on a tie, and similarity[i] (if not empty) that score, for
    /// the <paramref name="n"/> points <paramref name="data"/> [n × dim].
    /// </summary>
    public void Assign(ReadOnlySpan<float> data, int n, Span<int> assignment, Span<float> similarity)
    {
        if (n == 0) return;
        fixed (float* x = data, c = centroids, b = bias, s = similarity)
        fixed (int* a = assignment)
        {
            var job = new Job { Scorer = this, Data = x, Centroids = c, Bias = biased ? b : null, Assignment = a, Similarity = similarity.IsEmpty ? null : s, N = n };
            Parallelism.For((n + BlockPoints - 1) / BlockPoints, 1, in job, static (in Job j, int b0, int b1) =>
            {
                for (int block = b0; block < b1; block++) j.Scorer.Block(j, block);
            });
        }
    }

    /// <summary>The pointers of one <see cref="Assign"/> call (fixed for its length).</summary>
    private struct Job
    {
        public CentroidScorer Scorer;
        public float* Data, Centroids, Bias, Similarity;
        public int* Assignment;
        public int N;
    }

    /// <summary>One block of points against every tile, keeping each point's best.</summary>
    private void Block(in Job j, int block)
    {
        int start = block * BlockPoints, m = Math.Min(BlockPoints, j.N - start);
        var scores = scratch ??= new float[BlockPoints * TileCentroids];
        var x = new ReadOnlySpan<float>(j.Data + (long)start * dim, m * dim);
        Span<float> best = stackalloc float[BlockPoints];
        Span<int> arg = stackalloc int[BlockPoints];
        for (int t = 0; t < tiles.Length; t++)
        {
            int first = t * TileCentroids, width = Math.Min(TileCentroids, k - first);
            var tile = new ReadOnlySpan<float>(j.Centroids + (long)first * dim, width * dim);
            // scores[m × width] = X[m × dim] · C_tileᵀ, one thread (nested in the For: inline)
            Blas.SgemmPacked(false, true, m, width, dim, 1f, x, dim, tile, dim, tiles[t], 0f, scores.AsSpan(0, m * width), width);
            for (int i = 0; i < m; i++)
            {
                var row = scores.AsSpan(i * width, width);
                if (j.Bias != null) TensorPrimitives.Add(row, new ReadOnlySpan<float>(j.Bias + first, width), row);
                int at = TensorPrimitives.IndexOfMax(row); // the first (lowest) index of the tile's largest
                if (t == 0 || row[at] > best[i]) (best[i], arg[i]) = (row[at], first + at);
            }
        }
        for (int i = 0; i < m; i++)
        {
            j.Assignment[start + i] = arg[i];
            if (j.Similarity != null) j.Similarity[start + i] = best[i];
        }
    }
}
