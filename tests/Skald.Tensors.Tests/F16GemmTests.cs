using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>IEEE float16 conversions and the GEMM with a float16 B operand, on every backend.</summary>
public sealed class F16GemmTests
{
    [Fact]
    public void WideningEveryFloat16MatchesSystemHalfAndItsScalarTwin()
    {
        var bits = new ushort[65536 + 5]; // + 5: the scalar tail too
        for (int i = 0; i < bits.Length; i++) bits[i] = (ushort)i;
        var fast = new float[bits.Length];
        var slow = new float[bits.Length];
        F16.ToSingle(bits, fast);
        F16.ToSingleReference(bits, slow);
        for (int i = 0; i < bits.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(bits[i]);
            Assert.Equal(BitConverter.SingleToUInt32Bits(slow[i]), BitConverter.SingleToUInt32Bits(fast[i]));
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(slow[i]), $"{bits[i]:X4}");
            else Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(slow[i]));
        }
    }

    [Fact]
    public void NarrowingRoundsToNearestEven()
    {
        Assert.Equal(0x3C00, F16.FromSingle(1f));
        Assert.Equal(0x3C00, F16.FromSingle(1f + MathF.Pow(2, -11))); // halfway: ties to even
        Assert.Equal(0x3C02, F16.FromSingle(1f + 3 * MathF.Pow(2, -11)));
        Assert.Equal(0x7C00, F16.FromSingle(70000f)); // beyond 65504: infinity
        Assert.Equal(0x0001, F16.FromSingle(MathF.Pow(2, -24))); // smallest subnormal
    }

    public static TheoryData<string> BackendNames()
    {
        var data = new TheoryData<string> { "managed-auto", "managed-256", "managed-128", "reference" };
        if (GemmBackends.TryCreateOpenBlas() is not null) data.Add("openblas");
        return data;
    }

    [Theory]
    [MemberData(nameof(BackendNames))]
    public void F16ProductsMatchTheReferenceOnWidenedB(string backend)
    {
        IGemmBackend gemm = backend switch
        {
            "managed-auto" => new ManagedGemm(),
            "managed-256" => new ManagedGemm(ManagedGemmKernel.Vector256),
            "managed-128" => new ManagedGemm(ManagedGemmKernel.Vector128),
            "openblas" => GemmBackends.TryCreateOpenBlas()!,
            _ => new ReferenceGemm(),
        };
        var rng = new Random(backend.Length);
        int[] sizes = [1, 3, 8, 17, 33, 70];
        for (int i = 0; i < 24; i++)
        {
            int m = sizes[rng.Next(sizes.Length)], n = sizes[rng.Next(sizes.Length)], k = sizes[rng.Next(sizes.Length)];
            bool transA = (i & 1) != 0, transB = (i & 2) != 0;
            float beta = (i & 4) != 0 ? 0.5f : 0f;
            var a = TestUtil.RandomArray(rng, m * k);
            var (b16, b32) = RandomF16(rng, n * k);
            var c0 = TestUtil.RandomArray(rng, m * n);
            var expected = (float[])c0.Clone();
            var actual = (float[])c0.Clone();
            new ReferenceGemm().Sgemm(transA, transB, m, n, k, 1.5f, a, transA ? m : k, b32, transB ? k : n, beta, expected, n);
            gemm.SgemmF16(transA, transB, m, n, k, 1.5f, a, transA ? m : k, b16, transB ? k : n, beta, actual, n);
            TestUtil.AssertCloseScaled(expected, actual, 1e-5, $"{backend} {m}x{n}x{k} {transA} {transB}");
        }
    }

    [Theory]
    [InlineData(ManagedGemmKernel.Vector256)]
    [InlineData(ManagedGemmKernel.Vector128)]
    public void PackedF16PathIsBitIdenticalToTheFloat32PathOnWidenedWeights(ManagedGemmKernel kernel)
    {
        var gemm = new ManagedGemm(kernel) { MaxThreads = 2 };
        var rng = new Random(12);
        int m = 70, n = 300, k = 260;
        var a = TestUtil.RandomArray(rng, m * k);
        var (b16, b32) = RandomF16(rng, n * k);
        foreach (bool transB in new[] { true, false })
        {
            var via16 = new float[m * n];
            var via32 = new float[m * n];
            gemm.SgemmF16(false, transB, m, n, k, 1f, a, k, b16, transB ? k : n, 0f, via16, n);
            gemm.Sgemm(false, transB, m, n, k, 1f, a, k, b32, transB ? k : n, 0f, via32, n);
            Assert.Equal(via32, via16);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TiledF16WideningMatchesTheReference(bool transB)
    {
        var rng = new Random(transB ? 23 : 24);
        int m = 9, n = 100, k = 40, ldb = transB ? k + 2 : n + 3, ldc = n + 1;
        var a = TestUtil.RandomArray(rng, m * k);
        var (b16, b32) = RandomF16(rng, ldb * (transB ? n : k));
        var expected = TestUtil.RandomArray(rng, m * ldc);
        var actual = (float[])expected.Clone();
        var reference = new ReferenceGemm();
        reference.Sgemm(false, transB, m, n, k, 0.5f, a, k, b32, ldb, 1f, expected, ldc);
        Bf16Tiles.Run(reference, false, transB, m, n, k, 0.5f, a, k, b16, ldb, 1f, actual, ldc, tileFloats: 16 * k, half: true);
        Assert.Equal(expected, actual);
    }

    internal static (ushort[] Bits, float[] Widened) RandomF16(Random rng, int n)
    {
        var bits = new ushort[n];
        var wide = new float[n];
        for (int i = 0; i < n; i++)
        {
            bits[i] = F16.FromSingle((float)(rng.NextDouble() * 2 - 1));
            wide[i] = F16.ToSingle(bits[i]);
        }
        return (bits, wide);
    }
}
