using Skald.Tensors.Gemm;

namespace Skald.Tensors.Tests;

/// <summary>
/// The GEMM's B packing (<see cref="GemmDriver.PackB"/>): op(B)[p0.., j0..] (kc × nc) laid out as NR-wide panels of
/// kc rows each, zero-padded, whichever order the packer walks B in (row by row for an untransposed B of several
/// panels, panel by panel otherwise), checked value by value against the layout built here.
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
}
