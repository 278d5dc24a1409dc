using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="ManagedGemm.SgemmBias"/> (a training Linear's y = x·Wᵀ + b, the bias placed in each tile by the product):
/// the same bytes as copying the bias into every row of C and running <see cref="ManagedGemm.Sgemm"/> with beta 1, for
/// direct and packed A tiles, edge tiles, several K slices, the few-row product and any thread count.
/// </summary>
public sealed class BiasGemmTests
{
    [Fact]
    public void TheBiasInTheTilesEqualsFillingCFirst()
    {
        var rng = new Random(41);
        foreach (var (m, n, k) in new[] { (4, 70, 300), (37, 100, 600), (145, 1100, 257), (300, 64, 40), (29, 70, 2300), (13, 33, 7) })
        foreach (bool transB in new[] { true, false })
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int lda = k + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
            var a = TestUtil.RandomArray(rng, m * lda);
            var b = TestUtil.RandomArray(rng, (transB ? n : k) * ldb);
            var bias = TestUtil.RandomArray(rng, n);
            var stale = TestUtil.RandomArray(rng, m * ldc); // what C held before: overwritten either way
            var gemm = new ManagedGemm(ManagedGemmKernel.Vector512) { MaxThreads = threads };
            var expected = (float[])stale.Clone();
            for (int i = 0; i < m; i++) bias.CopyTo(expected, i * ldc);
            gemm.Sgemm(false, transB, m, n, k, 1f, a, lda, b, ldb, 1f, expected, ldc);
            var c = (float[])stale.Clone();
            gemm.SgemmBias(transB, m, n, k, a, lda, b, ldb, bias, c, ldc);
            Assert.True(expected.AsSpan().SequenceEqual(c), $"m={m} n={n} k={k} transB={transB} threads={threads}");
        }
    }
}
