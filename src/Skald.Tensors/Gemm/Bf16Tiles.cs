using Skald.Tensors.Kernels;

namespace Skald.Tensors.Gemm;

/// <summary>
/// A bfloat16-B (or float16-B) product on a float32-only backend: C's columns in blocks, each block's slice of B widened into a
/// per-thread float32 tile (at most <see cref="TileFloats"/> values, reused: steady state allocates nothing), then one
/// <see cref="IGemmBackend.Sgemm"/> per block. Memory stays at one tile beyond the bfloat16 weights.
/// </summary>
internal static class Bf16Tiles
{
    /// <summary>Largest widened tile (4 MB of float32).</summary>
    public const int TileFloats = 1 << 20;

    [ThreadStatic] private static float[]? tile;

    /// <summary>
    /// C = alpha·op(A)·op(widen(B)) + beta·C through <paramref name="f32"/>, arguments already validated;
    /// <paramref name="tileFloats"/> caps a widened tile (at least 16 columns of B are widened at once); <paramref name="half"/>
    /// reads B as float16 instead of bfloat16.
    /// </summary>
    public static void Run(IGemmBackend f32, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc,
        int tileFloats = TileFloats, bool half = false)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            f32.Sgemm(transA, transB, m, n, 0, alpha, a, lda, [], Math.Max(1, transB ? 0 : n), beta, c, ldc);
            return;
        }
        var format = half ? WeightPrecision.Float16 : WeightPrecision.BFloat16;
        int block = Math.Min(n, Math.Max(16, tileFloats / k / 16 * 16));
        int need = block * k;
        if (tile is null || tile.Length < need) tile = GC.AllocateUninitializedArray<float>(need);
        var t = tile.AsSpan(0, need);
        for (int j0 = 0; j0 < n; j0 += block)
        {
            int nb = Math.Min(block, n - j0);
            if (transB)
            {
                // op(B)[:, j0..] = rows j0.. of the stored [n, k] matrix: widen them row by row into [nb, k].
                for (int j = 0; j < nb; j++) F16.ToSingle(format, b.Slice((j0 + j) * ldb, k), t.Slice(j * k, k));
                f32.Sgemm(transA, true, m, nb, k, alpha, a, lda, t, k, beta, c[j0..], ldc);
            }
            else
            {
                // Columns j0.. of the stored [k, n] matrix into [k, nb].
                for (int p = 0; p < k; p++) F16.ToSingle(format, b.Slice(p * ldb + j0, nb), t.Slice(p * nb, nb));
                f32.Sgemm(transA, false, m, nb, k, alpha, a, lda, t, nb, beta, c[j0..], ldc);
            }
        }
    }
}
