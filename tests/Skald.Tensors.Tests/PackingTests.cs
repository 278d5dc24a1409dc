using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// The GEMM's packing: op(B)[p0.., j0..] (kc × nc) as NR-wide panels of kc rows each (<see cref="GemmDriver.PackB"/>)
/// and alpha·op(A)[i0.., p0..] (mc × kc) as MR-row panels (<see cref="GemmDriver.PackA"/>), zero-padded, whichever
/// order the packer walks the operand in (row by row for an untransposed B or a transposed A of several panels, panel
/// by panel otherwise), checked value by value against the layout built here.
/// </summary>
public sealed unsafe class PackingTests
{
    [Theory]
    [InlineData(false, 37, 64, 32)]
    [InlineData(false, 300, 391, 32)]
    [InlineData(false, 5, 40, 32)]
    [InlineData(false, 9, 31, 32)]
    [InlineData(true, 70, 100, 32)]
    [InlineData(false, 20, 50, 16)]
    public void PanelsHoldOpBInTheirLayout(bool transB, int kc, int nc, int nr)
    {
        var rng = new Random(kc * 1000 + nc);
        int p0 = 3, j0 = 5, k = p0 + kc + 2, n = j0 + nc + 4;
        int ldb = (transB ? k : n) + 3;
        var b = TestUtil.RandomArray(rng, (transB ? n : k) * ldb);
        int panels = (nc + nr - 1) / nr;
        var packed = new float[panels * kc * nr];
        Array.Fill(packed, float.NaN); // every slot must be written: values or zero padding
        fixed (float* pb = b, pp = packed)
        {
            var g = new GemmArgs { TransB = transB, K = k, N = n, Ldb = ldb, B = pb };
            GemmDriver.PackB(g, p0, kc, j0, nc, pp, nr);
        }
        for (int f = 0; f < panels; f++)
            for (int p = 0; p < kc; p++)
                for (int j = 0; j < nr; j++)
                {
                    int col = f * nr + j;
                    float expected = col >= nc ? 0f : transB ? b[(j0 + col) * ldb + p0 + p] : b[(p0 + p) * ldb + j0 + col];
                    Assert.Equal(expected, packed[(long)f * kc * nr + p * nr + j]);
                }
    }

    [Theory]
    [InlineData(true, 37, 30, 12, 1f)]     // two whole 12-row panels and a partial one, row by row
    [InlineData(true, 64, 144, 12, 0.5f)]  // an AVX-512 MC block, alpha scaled
    [InlineData(true, 9, 20, 4, 1f)]       // the AVX2 4-row panels
    [InlineData(true, 11, 17, 12, -2f)]    // one panel and a partial one: panel by panel
    [InlineData(true, 7, 13, 6, 1f)]       // 6-row panels: panel by panel
    [InlineData(false, 21, 30, 12, 0.25f)]
    public void PanelsHoldAlphaOpAInTheirLayout(bool transA, int kc, int mc, int mr, float alpha)
    {
        var rng = new Random(kc * 1000 + mc);
        int i0 = 5, p0 = 3, m = i0 + mc + 4, k = p0 + kc + 2;
        int lda = (transA ? m : k) + 3;
        var a = TestUtil.RandomArray(rng, (transA ? k : m) * lda);
        int panels = (mc + mr - 1) / mr;
        var packed = new float[panels * kc * mr];
        Array.Fill(packed, float.NaN);
        fixed (float* pa = a, pp = packed)
        {
            var g = new GemmArgs { TransA = transA, M = m, K = k, Lda = lda, A = pa, Alpha = alpha };
            GemmDriver.PackA(g, i0, mc, p0, kc, pp, mr);
        }
        for (int f = 0; f < panels; f++)
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < mr; r++)
                {
                    int row = f * mr + r;
                    float expected = row >= mc ? 0f
                        : alpha * (transA ? a[(p0 + p) * lda + i0 + row] : a[(i0 + row) * lda + p0 + p]);
                    Assert.Equal(expected, packed[(long)f * kc * mr + p * mr + r]);
                }
    }
}
