using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// The AVX-512 tile that reads A in place (<see cref="MicroKernels.Kernel12x32V512Direct"/>, used by pre-packed products
/// and unpacked-B products with a row-major A and alpha 1): the same bits as its scalar twin and as the packed-A
/// kernel, and products through it bit-identical to a slice-by-slice scalar model of the loop nest (KC 1024) at any
/// thread count, with and without a fused bias.
/// </summary>
public sealed unsafe class DirectGemmTests
{
    [Theory]
    [InlineData(1, 0f)]
    [InlineData(7, 1f)]
    [InlineData(256, 0f)]
    [InlineData(300, -0.5f)]
    public void DirectKernelMatchesItsScalarTwinAndThePackedKernel(int kc, float beta)
    {
        var rng = new Random(kc);
        const int mr = MicroKernels.MR512, nr = 32;
        int lda = kc + 5, ldc = nr + 3;
        var a = TestUtil.RandomArray(rng, mr * lda);
        var b = TestUtil.RandomArray(rng, kc * nr);
        var c0 = TestUtil.RandomArray(rng, mr * ldc);
        var packedA = new float[kc * mr];
        for (int p = 0; p < kc; p++)
            for (int r = 0; r < mr; r++) packedA[p * mr + r] = a[r * lda + p];
        var direct = (float[])c0.Clone();
        var scalar = (float[])c0.Clone();
        var packed = (float[])c0.Clone();
        fixed (float* pa = a, pb = b, pp = packedA, cd = direct, cs = scalar, cp = packed)
        {
            MicroKernels.Kernel12x32V512Direct(kc, pa, lda, pb, cd, ldc, beta, null);
            MicroKernels.Kernel12x32DirectScalar(kc, pa, lda, pb, cs, ldc, beta, null);
            MicroKernels.Kernel12x32V512(kc, pp, pb, cp, ldc, beta);
        }
        Assert.True(scalar.AsSpan().SequenceEqual(direct), $"kc={kc}: direct differs from its scalar twin");
        Assert.True(packed.AsSpan().SequenceEqual(direct), $"kc={kc}: direct differs from the packed-A kernel");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(384)]
    public void DirectKernelWithABiasRowEqualsFillingCWithItAndBetaOne(int kc)
    {
        var rng = new Random(kc + 11);
        const int mr = MicroKernels.MR512, nr = 32;
        int lda = kc + 3, ldc = nr + 5;
        var a = TestUtil.RandomArray(rng, mr * lda);
        var b = TestUtil.RandomArray(rng, kc * nr);
        var bias = TestUtil.RandomArray(rng, nr);
        var stale = TestUtil.RandomArray(rng, mr * ldc); // whatever C held before: the bias store must ignore it
        var fused = (float[])stale.Clone();
        var scalar = (float[])stale.Clone();
        var filled = (float[])stale.Clone();
        for (int r = 0; r < mr; r++) bias.CopyTo(filled, r * ldc);
        fixed (float* pa = a, pb = b, pbias = bias, cf = fused, cs = scalar, cb = filled)
        {
            MicroKernels.Kernel12x32V512Direct(kc, pa, lda, pb, cf, ldc, 0.25f, pbias);
            MicroKernels.Kernel12x32DirectScalar(kc, pa, lda, pb, cs, ldc, 0.25f, pbias);
            MicroKernels.Kernel12x32V512Direct(kc, pa, lda, pb, cb, ldc, 1f, null);
        }
        Assert.True(scalar.AsSpan().SequenceEqual(fused), $"kc={kc}: the bias store differs from its scalar twin");
        Assert.True(filled.AsSpan().SequenceEqual(fused), $"kc={kc}: the bias store differs from bias-filled C with beta 1");
    }

    [Fact]
    public void ProductsReadingAInPlaceEqualTheSliceBySliceScalarModel()
    {
        // m > DotGemm.MaxRows (the unpacked product then takes the blocked path too); partial row panels, partial and
        // several panel blocks, several KC slices (k 2300: two 1024-deep slices and a 252-deep one); alpha 1 reads A in place, alpha 0.5
        // packs it. The model is independent of the tile: per C element one FMA chain per KC slice, added in order.
        var rng = new Random(21);
        int kcBlock = ManagedGemm.KC512;
        foreach (var (m, n, k) in new[] { (17, 33, 7), (24, 300, 300), (37, 100, 600), (145, 1100, 257), (300, 64, 40),
                     (29, 70, 2300) })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (0.5f, -1f) })
        {
            int lda = k + 3, ldb = k + 1, ldc = n + 2;
            var a = TestUtil.RandomArray(rng, m * lda);
            var b = TestUtil.RandomArray(rng, n * ldb);
            var c0 = TestUtil.RandomArray(rng, m * ldc);
            var expected = SlicedModel(m, n, k, kcBlock, alpha, a, lda, b, ldb, beta, c0, ldc);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var gemm = new ManagedGemm(ManagedGemmKernel.Vector512) { MaxThreads = threads };
                var c = (float[])c0.Clone();
                gemm.SgemmPacked(false, m, alpha, a, lda, gemm.Pack(true, k, n, b, ldb), beta, c, ldc);
                string what = $"m={m} n={n} k={k} alpha={alpha} beta={beta} threads={threads}";
                Assert.True(expected.AsSpan().SequenceEqual(c), what + ": packed");
                c = (float[])c0.Clone();
                gemm.Sgemm(false, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                Assert.True(expected.AsSpan().SequenceEqual(c), what + ": unpacked");
            }
        }
    }

    [Fact]
    public void TheAvx2TilesGiveTheSameBitsAsTheScalarModelWithTheirSlice()
    {
        // The model above, checked against the 6×16 tile with its own KC (256): it is a model of the loop nest, not of one tile.
        var rng = new Random(23);
        int m = 31, n = 45, k = 700, lda = k + 1;
        var a = TestUtil.RandomArray(rng, m * lda);
        var b = TestUtil.RandomArray(rng, n * k);
        var c0 = TestUtil.RandomArray(rng, m * n);
        var c = (float[])c0.Clone();
        new ManagedGemm(ManagedGemmKernel.Vector256) { MaxThreads = 1 }.Sgemm(false, true, m, n, k, 1f, a, lda, b, k, 1f, c, n);
        Assert.True(SlicedModel(m, n, k, 256, 1f, a, lda, b, k, 1f, c0, n).AsSpan().SequenceEqual(c));
    }

    /// <summary>
    /// C = alpha·A·Bᵀ + beta·C as the blocked loop nest computes it: per element and per KC slice one FMA chain in k
    /// order from 0 over alpha·a (A is packed scaled), the first slice stored as the kernel does (beta 0: the sum; 1:
    /// C + sum; else fma(beta, C, sum)), later slices added.
    /// </summary>
    private static float[] SlicedModel(int m, int n, int k, int kcBlock, float alpha, float[] a, int lda, float[] b,
        int ldb, float beta, float[] c0, int ldc)
    {
        var c = (float[])c0.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                ref float cij = ref c[i * ldc + j];
                for (int p0 = 0; p0 < k; p0 += kcBlock)
                {
                    float sum = 0f;
                    for (int p = p0; p < Math.Min(k, p0 + kcBlock); p++)
                        sum = MathF.FusedMultiplyAdd(alpha * a[i * lda + p], b[j * ldb + p], sum);
                    float bt = p0 == 0 ? beta : 1f;
                    cij = bt == 0f ? sum : bt == 1f ? cij + sum : MathF.FusedMultiplyAdd(bt, cij, sum);
                }
            }
        return c;
    }

    [Fact]
    public void FusedBiasReadingAInPlaceEqualsBiasThenBetaOne()
    {
        using var fmaOnly = new FmaKernelsOnly(); // the FMA kernels' claim (on AMX hosts the packed Linear runs six bfloat16 terms)
        var rng = new Random(22);
        int m = 61, n = 290, k = 300, lda = k + 1;
        var a = TestUtil.RandomArray(rng, m * lda);
        var b = TestUtil.RandomArray(rng, n * k);
        var bias = TestUtil.RandomArray(rng, n);
        var expected = new float[m * n];
        for (int i = 0; i < m; i++) bias.CopyTo(expected, i * n);
        foreach (int threads in new[] { 1, 2 })
        {
            var gemm = new ManagedGemm(ManagedGemmKernel.Vector512) { MaxThreads = threads };
            var packed = gemm.Pack(true, k, n, b, k);
            var viaBeta = (float[])expected.Clone();
            gemm.SgemmPacked(false, m, 1f, a, lda, packed, 1f, viaBeta, n);
            var fused = new float[m * n];
            gemm.SgemmPackedFused(m, a, lda, packed, bias, fused, n, null, null, null);
            Assert.True(viaBeta.AsSpan().SequenceEqual(fused), $"threads={threads}");
        }
    }
}
