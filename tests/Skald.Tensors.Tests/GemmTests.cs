using Skald.Tensors.Gemm;
using Xunit.Abstractions;

namespace Skald.Tensors.Tests;

public sealed class GemmTests(ITestOutputHelper output)
{
    private static readonly int[] Sizes = [1, 2, 7, 16, 33, 64, 129];

    public static TheoryData<ManagedGemmKernel> Kernels => new()
    {
        ManagedGemmKernel.Auto, ManagedGemmKernel.Vector512, ManagedGemmKernel.Vector256, ManagedGemmKernel.Vector256Wide,
        ManagedGemmKernel.Vector128,
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ManagedMatchesReferenceOnRandomShapes(ManagedGemmKernel kernel)
    {
        CheckRandomShapes(new ManagedGemm(kernel), seed: 1, count: 60);
    }

    [Fact]
    public void OpenBlasMatchesReferenceOnRandomShapes()
    {
        var blas = GemmBackends.TryCreateOpenBlas();
        if (blas is null)
        {
            var probed = OpenBlasGemm.CandidateLibraries();
            output.WriteLine("SKIPPED: no OpenBLAS library found (" + (probed.Count == 0
                ? $"disabled by {OpenBlasGemm.LibraryEnvironmentVariable}=none"
                : "probed " + string.Join(", ", probed)) + "); only the managed backend was checked.");
            CheckRandomShapes(new ManagedGemm(), seed: 2, count: 20);
            return;
        }
        output.WriteLine($"OpenBLAS loaded from {blas.LibraryPath}");
        CheckRandomShapes(blas, seed: 2, count: 60);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void LargeMultiThreadedProductsMatchReference(bool transA, bool transB)
    {
        // Big enough to cross the parallel threshold; one shape splits rows, the other columns.
        var managed = new ManagedGemm { MaxThreads = 3 };
        CheckOne(managed, new Random(3), transA, transB, 301, 67, 259, 1f, 0f, 0, 0, 0);
        CheckOne(managed, new Random(4), transA, transB, 13, 517, 300, 0.5f, 2f, 3, 1, 5);
    }

    [Theory]
    [InlineData(1, 768, 768)]
    [InlineData(16, 768, 768)]
    [InlineData(7, 33, 70)]
    [InlineData(16, 130, 100)]
    [InlineData(32, 130, 100)]
    [InlineData(5, 1, 64)]
    public void FewRowsTimesTransposedWeightsMatchReference(int m, int n, int k)
    {
        // The unpacked small-m path (x · Wᵀ with m ≤ 16; m = 32 takes the packed path), on one and two threads,
        // with tails in m, n and k.
        foreach (int threads in new[] { 1, 2 })
        {
            var gemm = new ManagedGemm { MaxThreads = threads };
            CheckOne(gemm, new Random(m + n + k), false, true, m, n, k, 1f, 0f, 0, 0, 0);
            CheckOne(gemm, new Random(m * n + k), false, true, m, n, k, -0.5f, 1.5f, 3, 5, 2);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void BetaZeroIgnoresNaNInC(bool transA, bool transB)
    {
        foreach (var backend in Backends())
        {
            var rng = new Random(5);
            int m = 9, n = 35, k = 11;
            var a = TestUtil.RandomArray(rng, m * k);
            var b = TestUtil.RandomArray(rng, k * n);
            var c = Enumerable.Repeat(float.NaN, m * n).ToArray();
            var expected = new float[m * n];
            new ReferenceGemm().Sgemm(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, 0f, expected, n);
            backend.Sgemm(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, 0f, c, n);
            TestUtil.AssertCloseScaled(expected, c, 1e-4, backend.Name);
        }
    }

    [Fact]
    public void ZeroDepthScalesC()
    {
        foreach (var backend in Backends())
        {
            var c = new float[] { 1, 2, 3, 4 };
            backend.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2);
            Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, c);
        }
    }

    [Theory]
    [InlineData(false, false, 32, 128, 128, 32)]
    [InlineData(false, true, 32, 128, 128, 32)]
    [InlineData(false, false, 5, 7, 9, 11)]
    [InlineData(true, false, 7, 33, 17, 5)]
    public void BatchedMatchesReference(bool transA, bool transB, int batch, int m, int n, int k)
    {
        var rng = new Random(6);
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 2;
        long strideA = (long)lda * (transA ? k : m) + 5, strideB = (long)ldb * (transB ? n : k), strideC = (long)ldc * m + 1;
        var a = TestUtil.RandomArray(rng, (int)(strideA * batch));
        var b = TestUtil.RandomArray(rng, (int)(strideB * batch));
        var c0 = TestUtil.RandomArray(rng, (int)(strideC * batch));
        var expected = (float[])c0.Clone();
        new ReferenceGemm().SgemmBatched(transA, transB, m, n, k, 0.75f, a, lda, strideA, b, ldb, strideB, 0.5f,
            expected, ldc, strideC, batch);
        foreach (var backend in Backends())
        {
            var c = (float[])c0.Clone();
            backend.SgemmBatched(transA, transB, m, n, k, 0.75f, a, lda, strideA, b, ldb, strideB, 0.5f, c, ldc,
                strideC, batch);
            TestUtil.AssertCloseScaled(expected, c, 1e-4, backend.Name);
            if (backend is OpenBlasGemm ob)
            {
                ob.ParallelBatch = false;
                c = (float[])c0.Clone();
                backend.SgemmBatched(transA, transB, m, n, k, 0.75f, a, lda, strideA, b, ldb, strideB, 0.5f, c, ldc,
                    strideC, batch);
                TestUtil.AssertCloseScaled(expected, c, 1e-4, backend.Name + " sequential");
            }
        }
    }

    [Fact]
    public void RejectsSpansThatAreTooShort()
    {
        foreach (var backend in Backends())
        {
            Assert.Throws<ArgumentException>(() =>
                backend.Sgemm(false, false, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
            Assert.Throws<ArgumentException>(() =>
                backend.Sgemm(false, false, 4, 4, 4, 1f, new float[16], 4, new float[16], 4, 0f, new float[15], 4));
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                backend.Sgemm(false, false, 4, 4, 4, 1f, new float[16], 3, new float[16], 4, 0f, new float[16], 4));
            Assert.Throws<ArgumentException>(() => backend.SgemmBatched(false, false, 2, 2, 2, 1f, new float[8], 2, 4,
                new float[8], 2, 4, 0f, new float[7], 2, 4, 2));
        }
    }

    [Fact]
    public void DefaultSelectionHonoursNames()
    {
        Assert.IsType<ReferenceGemm>(GemmBackends.Create("reference"));
        Assert.IsType<ManagedGemm>(GemmBackends.Create("MANAGED"));
        var auto = GemmBackends.Create(null);
        var openblas = GemmBackends.Create("openblas");
        bool wideVectors = ManagedGemm.BestKernel() is ManagedGemmKernel.Vector512 or ManagedGemmKernel.Vector256Wide;
        if (GemmBackends.TryCreateOpenBlas() is null)
        {
            output.WriteLine("OpenBLAS absent: every name but 'reference' gives the managed backend.");
            Assert.IsType<ManagedGemm>(auto);
            Assert.IsType<ManagedGemm>(openblas);
        }
        else
        {
            Assert.IsType<OpenBlasGemm>(openblas);
            // Auto prefers the managed kernel where it has 256/512-bit vectors (faster than OpenBLAS there).
            if (wideVectors) Assert.IsType<ManagedGemm>(auto);
            else Assert.IsType<OpenBlasGemm>(auto);
        }
        Assert.Throws<ArgumentException>(() => GemmBackends.Create("cublas"));
        Assert.NotNull(GemmBackends.CreateDefault());
    }

    private static IEnumerable<IGemmBackend> Backends()
    {
        yield return new ManagedGemm();
        yield return new ManagedGemm(ManagedGemmKernel.Vector256);
        if (GemmBackends.TryCreateOpenBlas() is { } blas) yield return blas;
    }

    private static void CheckRandomShapes(IGemmBackend backend, int seed, int count)
    {
        var rng = new Random(seed);
        (float Alpha, float Beta)[] scalars = [(1f, 0f), (1f, 1f), (0.5f, 2f), (-1.5f, 0.25f), (0f, 0.5f)];
        for (int i = 0; i < count; i++)
        {
            int m = Sizes[rng.Next(Sizes.Length)], n = Sizes[rng.Next(Sizes.Length)], k = Sizes[rng.Next(Sizes.Length)];
            var (alpha, beta) = scalars[i % scalars.Length];
            CheckOne(backend, rng, (i & 1) != 0, (i & 2) != 0, m, n, k, alpha, beta, rng.Next(3), rng.Next(3),
                rng.Next(3));
        }
    }

    private static void CheckOne(IGemmBackend backend, Random rng, bool transA, bool transB, int m, int n, int k,
        float alpha, float beta, int padA, int padB, int padC)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        var a = TestUtil.RandomArray(rng, lda * (transA ? k : m));
        var b = TestUtil.RandomArray(rng, ldb * (transB ? n : k));
        var c0 = TestUtil.RandomArray(rng, ldc * m);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        new ReferenceGemm().Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        backend.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, actual, ldc);
        string what = $"{backend.Name} tA={transA} tB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta} " +
                      $"lda={lda} ldb={ldb} ldc={ldc}";
        TestUtil.AssertCloseScaled(expected, actual, 1e-4, what);
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.True(c0[i * ldc + j] == actual[i * ldc + j], $"{what}: padding of C touched at ({i},{j})");
    }
}
