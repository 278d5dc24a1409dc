using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>bfloat16 conversions and the GEMM with a bfloat16 B operand, on every backend.</summary>
public sealed class Bf16GemmTests
{
    private static readonly int[] Sizes = [1, 3, 8, 17, 33, 64, 129];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(100)]
    [InlineData(1027)]
    public void WideningMatchesItsScalarTwinBitForBit(int n)
    {
        var rng = new Random(n + 1);
        var bits = new ushort[n];
        for (int i = 0; i < n; i++) bits[i] = (ushort)rng.Next(0, 65536);
        var fast = new float[n];
        var slow = new float[n];
        Bf16.ToSingle(bits, fast);
        Bf16.ToSingleReference(bits, slow);
        for (int i = 0; i < n; i++)
            Assert.Equal(BitConverter.SingleToUInt32Bits(slow[i]), BitConverter.SingleToUInt32Bits(fast[i]));
        for (int i = 0; i < n; i++) Assert.Equal((uint)bits[i] << 16, BitConverter.SingleToUInt32Bits(slow[i]));
    }

    [Fact]
    public void NarrowingRoundsToNearestEvenAndKeepsNaN()
    {
        Assert.Equal(0x3F80, Bf16.FromSingle(1f));
        Assert.Equal(0xBF80, Bf16.FromSingle(-1f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even mantissa (1).
        Assert.Equal(0x3F80, Bf16.FromSingle(1f + MathF.Pow(2, -8)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        Assert.Equal(0x3F82, Bf16.FromSingle(1f + 3 * MathF.Pow(2, -8)));
        Assert.Equal(0x3F81, Bf16.FromSingle(1f + MathF.Pow(2, -8) + MathF.Pow(2, -20)));
        Assert.Equal(0x7F80, Bf16.FromSingle(float.MaxValue)); // overflows to +inf, as torch
        Assert.Equal(0x7F80, Bf16.FromSingle(float.PositiveInfinity));
        Assert.True(float.IsNaN(Bf16.ToSingle(Bf16.FromSingle(float.NaN))));
        var rng = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            float x = (float)(rng.NextDouble() * 20 - 10);
            float r = Bf16.ToSingle(Bf16.FromSingle(x));
            Assert.True(Math.Abs(r - x) <= Math.Abs(x) * MathF.Pow(2, -8), $"{x} → {r}");
        }
    }

    public static TheoryData<string> BackendNames()
    {
        var data = new TheoryData<string> { "managed-auto", "managed-512", "managed-256", "managed-256-wide", "managed-128", "reference" };
        if (GemmBackends.TryCreateOpenBlas() is not null) data.Add("openblas");
        return data;
    }

    [Theory]
    [MemberData(nameof(BackendNames))]
    public void Bf16ProductsMatchTheReferenceOnWidenedB(string backend)
    {
        var gemm = Create(backend);
        var rng = new Random(backend.Length * 31 + 7);
        (float Alpha, float Beta)[] scalars = [(1f, 0f), (1f, 1f), (0.5f, 2f), (-1.5f, 0.25f), (0f, 0.5f)];
        for (int i = 0; i < 48; i++)
        {
            int m = Sizes[rng.Next(Sizes.Length)], n = Sizes[rng.Next(Sizes.Length)], k = Sizes[rng.Next(Sizes.Length)];
            var (alpha, beta) = scalars[i % scalars.Length];
            CheckOne(gemm, rng, (i & 1) != 0, (i & 2) != 0, m, n, k, alpha, beta, rng.Next(3), rng.Next(3), rng.Next(3));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LargeMultiThreadedBf16ProductsMatchReference(bool transB)
    {
        var managed = new ManagedGemm { MaxThreads = 3 };
        CheckOne(managed, new Random(3), false, transB, 301, 67, 259, 1f, 0f, 0, 0, 0);
        CheckOne(managed, new Random(4), false, transB, 13, 517, 300, 0.5f, 2f, 3, 1, 5);
        CheckOne(managed, new Random(5), false, transB, 2, 40, 600, 1f, 0f, 0, 0, 0); // few rows: DotGemm when transposed
    }

    [Theory]
    [InlineData(ManagedGemmKernel.Vector512)]
    [InlineData(ManagedGemmKernel.Vector256)]
    [InlineData(ManagedGemmKernel.Vector256Wide)]
    [InlineData(ManagedGemmKernel.Vector128)]
    public void PackedBf16PathIsBitIdenticalToTheFloat32PathOnWidenedWeights(ManagedGemmKernel kernel)
    {
        // Same panels, same micro-kernel: x·Wᵀ with W in bfloat16 is exactly x·widen(W)ᵀ (m > 16: no DotGemm).
        var gemm = new ManagedGemm(kernel) { MaxThreads = 2 };
        var rng = new Random(11);
        int m = 70, n = 300, k = 260;
        var a = TestUtil.RandomArray(rng, m * k);
        var (b16, b32) = RandomBf16(rng, n * k);
        var viaBf16 = new float[m * n];
        var viaF32 = new float[m * n];
        gemm.SgemmBf16(false, true, m, n, k, 1f, a, k, b16, k, 0f, viaBf16, n);
        gemm.Sgemm(false, true, m, n, k, 1f, a, k, b32, k, 0f, viaF32, n);
        Assert.Equal(viaF32, viaBf16);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TiledWideningOverManyColumnBlocksMatchesTheReference(bool transB)
    {
        // The float32-backend route (OpenBLAS's): 100 columns in blocks of 16 widened columns.
        var rng = new Random(transB ? 21 : 22);
        int m = 9, n = 100, k = 40, ldb = transB ? k + 2 : n + 3, ldc = n + 1;
        var a = TestUtil.RandomArray(rng, m * k);
        var (b16, b32) = RandomBf16(rng, ldb * (transB ? n : k));
        var expected = TestUtil.RandomArray(rng, m * ldc);
        var actual = (float[])expected.Clone();
        var reference = new ReferenceGemm();
        reference.Sgemm(false, transB, m, n, k, 0.5f, a, k, b32, ldb, 1f, expected, ldc);
        Bf16Tiles.Run(reference, false, transB, m, n, k, 0.5f, a, k, b16, ldb, 1f, actual, ldc, tileFloats: 16 * k);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ShortBOperandIsRejected()
    {
        var c = new float[4];
        Assert.Throws<ArgumentException>(() =>
            new ManagedGemm().SgemmBf16(false, true, 2, 2, 2, 1f, new float[4], 2, new ushort[3], 2, 0f, c, 2));
    }

    internal static (ushort[] Bits, float[] Widened) RandomBf16(Random rng, int n)
    {
        var bits = new ushort[n];
        var wide = new float[n];
        for (int i = 0; i < n; i++)
        {
            bits[i] = Bf16.FromSingle((float)(rng.NextDouble() * 2 - 1));
            wide[i] = Bf16.ToSingle(bits[i]);
        }
        return (bits, wide);
    }

    private static IGemmBackend Create(string name) => name switch
    {
        "managed-auto" => new ManagedGemm(),
        "managed-512" => new ManagedGemm(ManagedGemmKernel.Vector512),
        "managed-256" => new ManagedGemm(ManagedGemmKernel.Vector256),
        "managed-256-wide" => new ManagedGemm(ManagedGemmKernel.Vector256Wide),
        "managed-128" => new ManagedGemm(ManagedGemmKernel.Vector128),
        "openblas" => GemmBackends.TryCreateOpenBlas()!,
        _ => new ReferenceGemm(),
    };

    private static void CheckOne(IGemmBackend backend, Random rng, bool transA, bool transB, int m, int n, int k,
        float alpha, float beta, int padA, int padB, int padC)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        var a = TestUtil.RandomArray(rng, lda * (transA ? k : m));
        var (b16, b32) = RandomBf16(rng, ldb * (transB ? n : k));
        var c0 = TestUtil.RandomArray(rng, ldc * m);
        var expected = (float[])c0.Clone();
        var actual = (float[])c0.Clone();
        new ReferenceGemm().Sgemm(transA, transB, m, n, k, alpha, a, lda, b32, ldb, beta, expected, ldc);
        backend.SgemmBf16(transA, transB, m, n, k, alpha, a, lda, b16, ldb, beta, actual, ldc);
        string what = $"{backend.Name} bf16 tA={transA} tB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta}";
        TestUtil.AssertCloseScaled(expected, actual, 1e-5, what);
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.True(c0[i * ldc + j] == actual[i * ldc + j], $"{what}: padding of C touched at ({i},{j})");
    }
}
