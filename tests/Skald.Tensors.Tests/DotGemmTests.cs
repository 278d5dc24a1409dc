using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// The few-rows product x·Wᵀ (<see cref="DotGemm"/>, m ≤ 16, k ≥ 64) with the AVX-512 kernel (16 lanes) and the AVX2
/// ones (8 lanes), with float32 weights and with bfloat16 and float16 ones (widened as read): every element equals an independent
/// scalar model of its order (one fused multiply-add chain per lane over the widened weights, the lanes summed, the
/// tail added one product at a time), so each row gives the same bits alone as in any batch, on any thread count, and a
/// 16-bit weight the bits of its float32 widening.
/// </summary>
public sealed class DotGemmTests
{
    public static TheoryData<ManagedGemmKernel, WeightPrecision> Kernels() => new()
    {
        { ManagedGemmKernel.Vector512, WeightPrecision.Float32 }, { ManagedGemmKernel.Vector256Wide, WeightPrecision.Float32 },
        { ManagedGemmKernel.Vector256, WeightPrecision.Float32 }, { ManagedGemmKernel.Vector512, WeightPrecision.BFloat16 },
        { ManagedGemmKernel.Vector256Wide, WeightPrecision.BFloat16 }, { ManagedGemmKernel.Vector512, WeightPrecision.Float16 },
        { ManagedGemmKernel.Vector256Wide, WeightPrecision.Float16 },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryElementEqualsTheLaneChainModelSoARowGivesTheSameBitsAloneAsInABatch(ManagedGemmKernel kernel, WeightPrecision format)
    {
        int lanes = kernel == ManagedGemmKernel.Vector512 ? 16 : 8;
        bool runs = lanes == 16 ? Vector512.IsHardwareAccelerated : Vector256.IsHardwareAccelerated && Fma.IsSupported;
        if (!runs) return; // not accelerated on this CPU: the product takes the packed path, which other tests cover
        var rng = new Random(41);
        // n: odd column counts (tile edges), k: with and without a tail below the lane count.
        foreach (var (n, k) in new[] { (7, 64), (37, 100), (70, 1024), (33, 2300), (45, 4869) })
        foreach (int m in new[] { 1, 3, 4, 5, 8, 13, 16 })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, -1f) })
        {
            int lda = k + 3, ldb = k + 1, ldc = n + 2;
            var a = TestUtil.RandomArray(rng, m * lda);
            var b = TestUtil.RandomArray(rng, n * ldb);
            var b16 = new ushort[b.Length];
            if (format != WeightPrecision.Float32)
            {
                Skald.Tensors.Kernels.F16.FromSingle(format, b, b16);
                if (format == WeightPrecision.Float16) b16[0] = 0x0001; // a subnormal, widened to a normal float32
                for (int t = 0; t < b.Length; t++) // the model reads the widened values, one by one
                    b[t] = format == WeightPrecision.Float16 ? Skald.Tensors.Kernels.F16.ToSingle(b16[t]) : BitConverter.Int32BitsToSingle(b16[t] << 16);
            }
            var c0 = TestUtil.RandomArray(rng, m * ldc);
            var expected = (float[])c0.Clone();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float dot = LaneChainModel(lanes, a.AsSpan(i * lda, k), b.AsSpan(j * ldb, k));
                    ref float e = ref expected[i * ldc + j];
                    e = beta == 0f ? alpha * dot : alpha * dot + beta * e;
                }
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var gemm = new ManagedGemm(kernel) { MaxThreads = threads };
                var c = (float[])c0.Clone();
                if (format == WeightPrecision.Float32) gemm.Sgemm(false, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                else if (format == WeightPrecision.Float16) gemm.SgemmF16(false, true, m, n, k, alpha, a, lda, b16, ldb, beta, c, ldc);
                else gemm.SgemmBf16(false, true, m, n, k, alpha, a, lda, b16, ldb, beta, c, ldc);
                Assert.True(expected.AsSpan().SequenceEqual(c), $"{kernel} {format} m={m} n={n} k={k} alpha={alpha} threads={threads}");
            }
        }
    }

    /// <summary>
    /// Lane l sums x[p]·w[p] for p ≡ l (mod lanes) below k's last multiple of the lane count, in increasing p, each step
    /// one fused multiply-add; the lanes are summed as Vector512.Sum / Vector256.Sum sum them; the tail is added product
    /// by product.
    /// </summary>
    private static float LaneChainModel(int lanes, ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        int body = x.Length / lanes * lanes;
        var chains = new float[lanes];
        for (int p = 0; p < body; p++) chains[p % lanes] = MathF.FusedMultiplyAdd(x[p], w[p], chains[p % lanes]);
        float s = lanes == 16 ? Vector512.Sum(Vector512.Create(chains)) : Vector256.Sum(Vector256.Create(chains));
        for (int p = body; p < x.Length; p++) s += x[p] * w[p];
        return s;
    }
}
