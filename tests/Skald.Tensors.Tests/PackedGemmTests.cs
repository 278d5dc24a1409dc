using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// Pre-packed B operands (<see cref="PackedMatrix"/>): bit-identical to the unpacked product on every kernel, tile and
/// thread count (but for the unpacked few-row x·Wᵀ, which takes <see cref="DotGemm"/>); the Blas fallback when the backend takes no packed operand; the packed Linear weight of a parameter
/// and when it is dropped.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class PackedGemmTests
{
    private static readonly int[] Sizes = [1, 7, 17, 33, 100];

    public static TheoryData<ManagedGemmKernel> Kernels => new()
    {
        ManagedGemmKernel.Vector256, ManagedGemmKernel.Vector256Wide, ManagedGemmKernel.Vector128,
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void PackedProductsAreBitIdenticalToUnpackedOnOddShapes(ManagedGemmKernel kernel)
    {
        var rng = new Random((int)kernel + 40);
        (float Alpha, float Beta)[] scalars = [(1f, 0f), (1f, 1f), (-0.5f, 1.5f)];
        int i = 0;
        foreach (int m in Sizes)
        foreach (int n in Sizes)
        foreach (int k in Sizes)
        {
            var (alpha, beta) = scalars[i % scalars.Length];
            bool transA = (i & 1) != 0, transB = (i & 2) != 0;
            i++;
            CheckPackedEqualsUnpacked(kernel, rng, transA, transB, m, n, k, alpha, beta);
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void PackedProductsAreBitIdenticalAcrossThreadsOnLargeShapes(ManagedGemmKernel kernel)
    {
        // Several KC slices, NC blocks and thread splits over rows (m large) and over columns (m small).
        var rng = new Random(7);
        CheckPackedEqualsUnpacked(kernel, rng, false, true, 300, 1100, 700, 1f, 0f);
        CheckPackedEqualsUnpacked(kernel, rng, true, false, 32, 1536, 600, 1f, 1f);
        CheckPackedEqualsUnpacked(kernel, rng, false, true, 17, 33, 1000, 0.25f, -1f);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void TrainingShapesAreBitIdenticalAtAnyThreadCount(bool transA, bool transB)
    {
        // Shapes of a small BERT's forward and backward GEMMs (tokens × 128/384/512, depth up to 2 KC slices).
        var rng = new Random(13);
        foreach (var (m, n, k) in new[] { (448, 384, 128), (448, 128, 512), (128, 128, 448), (512, 128, 448), (448, 512, 128), (37, 1000, 300) })
        {
            foreach (float beta in new[] { 0f, 1f })
            {
                int lda = transA ? m : k, ldb = transB ? k : n;
                var a = TestUtil.RandomArray(rng, m * k);
                var b = TestUtil.RandomArray(rng, n * k);
                var c0 = TestUtil.RandomArray(rng, m * n);
                float[]? first = null;
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var c = (float[])c0.Clone();
                    new ManagedGemm { MaxThreads = threads }.Sgemm(transA, transB, m, n, k, 1f, a, lda, b, ldb, beta, c, n);
                    first ??= c;
                    Assert.True(first.AsSpan().SequenceEqual(c), $"m={m} n={n} k={k} beta={beta} threads={threads}");
                }
            }
        }
    }

    [Fact]
    public void EveryAvx2TileGivesTheSameBits()
    {
        // Each C element is one FMA chain per KC slice whatever the tile: 6×16 and 4×24 agree exactly.
        var rng = new Random(8);
        int m = 53, n = 101, k = 517;
        var a = TestUtil.RandomArray(rng, m * k);
        var b = TestUtil.RandomArray(rng, n * k);
        var c6 = new float[m * n];
        var c4 = new float[m * n];
        new ManagedGemm(ManagedGemmKernel.Vector256).Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c6, n);
        new ManagedGemm(ManagedGemmKernel.Vector256Wide).Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, c4, n);
        Assert.Equal(c6, c4);
    }

    [Fact]
    public void PackedMatchesTheReference()
    {
        var rng = new Random(9);
        var gemm = new ManagedGemm();
        int m = 45, n = 77, k = 300;
        var a = TestUtil.RandomArray(rng, m * k);
        var b = TestUtil.RandomArray(rng, n * k);
        var expected = new float[m * n];
        var actual = new float[m * n];
        new ReferenceGemm().Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, expected, n);
        gemm.SgemmPacked(false, m, 1f, a, k, gemm.Pack(true, k, n, b, k), 0f, actual, n);
        TestUtil.AssertCloseScaled(expected, actual, 1e-4, "packed");
    }

    [Fact]
    public void PackedRejectsAnotherKernelsPanelsAndShortSpans()
    {
        var b = new float[16 * 8];
        var packed = new ManagedGemm(ManagedGemmKernel.Vector256).Pack(false, 16, 8, b, 8);
        var wide = new ManagedGemm(ManagedGemmKernel.Vector256Wide);
        Assert.False(wide.Accepts(packed));
        Assert.Throws<ArgumentException>(() => wide.SgemmPacked(false, 2, 1f, new float[32], 16, packed, 0f, new float[16], 8));
        Assert.Throws<ArgumentException>(() => new ManagedGemm().Pack(false, 16, 8, new float[100], 8));
        var same = new ManagedGemm(ManagedGemmKernel.Vector256);
        Assert.Throws<ArgumentException>(() => same.SgemmPacked(false, 2, 1f, new float[31], 16, packed, 0f, new float[16], 8));
    }

    [Fact]
    public void BlasFallsBackToTheUnpackedOperandOnOtherBackends()
    {
        var saved = Blas.Backend;
        try
        {
            var rng = new Random(10);
            int m = 5, n = 9, k = 13;
            var a = TestUtil.RandomArray(rng, m * k);
            var b = TestUtil.RandomArray(rng, n * k);
            Blas.Backend = new ManagedGemm();
            var packed = Blas.Pack(true, k, n, b, k);
            Assert.NotNull(packed);
            Blas.Backend = new ReferenceGemm();
            Assert.Null(Blas.Pack(true, k, n, b, k));
            var expected = new float[m * n];
            var actual = new float[m * n];
            new ReferenceGemm().Sgemm(false, true, m, n, k, 1f, a, k, b, k, 0f, expected, n);
            Blas.SgemmPacked(false, true, m, n, k, 1f, a, k, b, k, packed, 0f, actual, n);
            Assert.Equal(expected, actual);
        }
        finally
        {
            Blas.Backend = saved;
        }
    }

    [Fact]
    public void PackedLinearWeightGivesTheSameBitsAndFollowsWrites()
    {
        using var fmaOnly = new FmaKernelsOnly(); // the FMA kernels' claim (on AMX hosts the packed Linear runs six bfloat16 terms)
        var saved = Blas.Backend;
        try
        {
            Blas.Backend = new ManagedGemm { MaxThreads = 2 };
            var rng = new Random(11);
            int n = 20, inF = 70, outF = 45;
            var weight = new Parameter("w", TestUtil.RandomArray(rng, outF * inF), [outF, inF], true);
            var bias = new Parameter("b", TestUtil.RandomArray(rng, outF), [outF], false);
            var input = TestUtil.RandomArray(rng, n * inF);
            float[] Forward(bool pack)
            {
                var tape = new Tape(recording: false) { PackWeights = pack };
                var x = tape.Constant(input, n, inF);
                return Ops.Linear(tape, x, weight, bias).Span.ToArray();
            }

            var plain = Forward(false);
            Assert.Equal(plain, Forward(true));
            Assert.NotNull(weight.PackedForLinear(holdPieces: false));
            // A write through Data drops the packed copy: the next packed pass sees the new values.
            weight.Data.Span[3] += 1f;
            var changed = Forward(false);
            Assert.NotEqual(plain, changed);
            Assert.Equal(changed, Forward(true));
            // So does an optimizer-style Update, and reading Grad.
            weight.Update(0.5f, static (w, s) => w[0] *= s);
            Assert.Equal(Forward(false), Forward(true));
            _ = Forward(true);
            _ = weight.Grad;
            weight.Values.Span.ToArray(); // (reading Values keeps it)
            Assert.Equal(Forward(false), Forward(true));
        }
        finally
        {
            Blas.Backend = saved;
        }
    }

    [Fact]
    public void StackedViewsKeepTheirOwnPackedCopies()
    {
        var (whole, parts) = Parameter.Stack("qkv", [("q", [8, 16]), ("k", [8, 16])], true);
        var rng = new Random(12);
        TestUtil.RandomArray(rng, 256).CopyTo(whole.Data.Span);
        var saved = Blas.Backend;
        try
        {
            Blas.Backend = new ManagedGemm();
            var pk = parts[1].PackedForLinear(holdPieces: false);
            Assert.NotNull(pk);
            Assert.Same(pk, parts[1].PackedForLinear(holdPieces: false));
            var pq = parts[0].PackedForLinear(holdPieces: false); // another view replaces it
            Assert.NotSame(pk, pq);
            _ = whole.Data; // a write to the shared storage drops it for every view
            Assert.NotSame(pq, parts[0].PackedForLinear(holdPieces: false));
        }
        finally
        {
            Blas.Backend = saved;
        }
    }

    private static void CheckPackedEqualsUnpacked(ManagedGemmKernel kernel, Random rng, bool transA, bool transB,
        int m, int n, int k, float alpha, float beta)
    {
        int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
        var a = TestUtil.RandomArray(rng, lda * (transA ? k : m));
        var b = TestUtil.RandomArray(rng, ldb * (transB ? n : k));
        var c0 = TestUtil.RandomArray(rng, ldc * m);
        var expected = (float[])c0.Clone();
        new ManagedGemm(kernel) { MaxThreads = 1 }.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var gemm = new ManagedGemm(kernel) { MaxThreads = threads };
            var packed = gemm.Pack(transB, k, n, b, ldb);
            var unpacked = (float[])c0.Clone();
            var viaPacked = (float[])c0.Clone();
            gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, unpacked, ldc);
            gemm.SgemmPacked(transA, m, alpha, a, lda, packed, beta, viaPacked, ldc);
            string what = $"{kernel} threads={threads} tA={transA} tB={transB} m={m} n={n} k={k}";
            Assert.True(expected.AsSpan().SequenceEqual(unpacked), what + ": unpacked differs from 1 thread");
            // An unpacked x·Wᵀ with few rows takes the dot-product path (DotGemm, its own order; DotGemmTests), so
            // the packed product is compared with the unpacked one everywhere else.
            bool dot = !transA && transB && m <= DotGemm.MaxRows && k >= 64 && alpha != 0f;
            if (!dot) Assert.True(expected.AsSpan().SequenceEqual(viaPacked), what + ": packed differs from unpacked");
        }
    }
}
