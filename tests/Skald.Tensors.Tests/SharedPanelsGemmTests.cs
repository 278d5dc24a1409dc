using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// Deep products split by rows (a weight gradient dyᵀ·x: K = tokens, two or more K slices) pack each slice of op(B)
/// once for all threads and run the pre-packed path over it, one slice at a time: the same bytes as one thread, for
/// either transpose, alpha and beta, a bias, a K that is not a whole number of slices and an N that is not a whole
/// number of panels.
/// </summary>
public sealed class SharedPanelsGemmTests
{
    public static TheoryData<ManagedGemmKernel, int, int, int> Shapes => new()
    {
        { ManagedGemmKernel.Vector512, 150, 70, 2 * 1024 + 77 },   // three slices, the last partial; 3 panels, 1 partial
        { ManagedGemmKernel.Vector512, 384, 64, 2 * 1024 },        // two whole slices
        { ManagedGemmKernel.Vector256Wide, 100, 50, 3 * 256 + 5 },  // the AVX2 tile's 256-deep slices
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SharedPanelsGiveTheBytesOfOneThread(ManagedGemmKernel kernel, int m, int n, int k)
    {
        var rng = new Random(m * 7 + k);
        foreach (bool transA in new[] { true, false })
        foreach (bool transB in new[] { false, true })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 1.5f) })
        {
            int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
            var a = TestUtil.RandomArray(rng, lda * (transA ? k : m));
            var b = TestUtil.RandomArray(rng, ldb * (transB ? n : k));
            var c0 = TestUtil.RandomArray(rng, ldc * m);
            var expected = (float[])c0.Clone();
            new ManagedGemm(kernel) { MaxThreads = 1 }.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
            foreach (int threads in new[] { 2, 3 })
            {
                var c = (float[])c0.Clone();
                new ManagedGemm(kernel) { MaxThreads = threads }.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                Assert.True(expected.AsSpan().SequenceEqual(c),
                    $"{kernel} threads={threads} tA={transA} tB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta}");
            }
        }
    }

    [Fact]
    public void ABiasGoesInOnceBeforeTheFirstSlice()
    {
        var rng = new Random(5);
        int m = 200, n = 90, k = 2 * 1024 + 300, lda = k + 1, ldc = n + 4;
        foreach (bool transB in new[] { false, true })
        {
            int ldb = (transB ? k : n) + 2;
            var a = TestUtil.RandomArray(rng, m * lda);
            var b = TestUtil.RandomArray(rng, (transB ? n : k) * ldb);
            var bias = TestUtil.RandomArray(rng, n);
            var stale = TestUtil.RandomArray(rng, m * ldc);
            var expected = (float[])stale.Clone();
            new ManagedGemm(ManagedGemmKernel.Vector512) { MaxThreads = 1 }.SgemmBias(transB, m, n, k, a, lda, b, ldb, bias, expected, ldc);
            var c = (float[])stale.Clone();
            new ManagedGemm(ManagedGemmKernel.Vector512) { MaxThreads = 2 }.SgemmBias(transB, m, n, k, a, lda, b, ldb, bias, c, ldc);
            Assert.True(expected.AsSpan().SequenceEqual(c), $"transB={transB}");
        }
    }
}
