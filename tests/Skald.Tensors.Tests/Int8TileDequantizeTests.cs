using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The 8 × 48 VNNI tile that dequantises in its own epilogue (<see cref="Int8TileVnni512.TileDequantize"/>) against
/// the scalar twin's integer sums dequantised here, written out as the int8 store's documented order:
/// y = fma(−zero, float(rowsum), float(sum)) · (scale · wscale) + bias, compared bit for bit (negative zeros too: with a
/// negative weight scale an all-zero sum gives −0, which an added zero bias would turn into +0), y's neighbours untouched.
/// </summary>
public sealed class Int8TileDequantizeTests
{
    private const int Rows = 8, Cols = 48, Ldy = 56;

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public unsafe void TheDequantisingTileEqualsTheScalarTileAndStore()
    {
        var rng = new Random(61);
        foreach (int groups in new[] { 1, 5, 96, 385 })
        foreach (bool withBias in new[] { false, true })
        {
            int lda = groups * Int8Matrix.GroupDepth + 8;
            long panelBytes = (long)groups * Int8Matrix.GroupDepth * Int8Matrix.PanelWidth;
            var a = new byte[Rows * lda];
            var w = new sbyte[3 * panelBytes];
            rng.NextBytes(a);
            rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
            a.AsSpan(3 * lda, lda).Clear(); // an all-zero row: sums 0, so −0 where the weight scale is negative
            var zeros = new int[Rows];
            var scales = new float[Rows];
            for (int r = 0; r < Rows; r++) (zeros[r], scales[r]) = (rng.Next(256), (float)rng.NextDouble() * 0.05f);
            zeros[3] = 0;
            var rowSums = new int[Cols];
            var wScales = new float[Cols];
            var bias = new float[Cols];
            for (int c = 0; c < Cols; c++)
                (rowSums[c], wScales[c], bias[c]) = (rng.Next(-4000, 4000), (float)(rng.NextDouble() - 0.3) * 0.01f, (float)rng.NextDouble() - 0.5f);
            var y = new float[(Rows + 1) * Ldy];
            y.AsSpan().Fill(-7f);
            var sums = new int[2 * Int8Gemm.TileRows * Int8Matrix.PanelWidth];
            var expected = (float[])y.Clone();
            fixed (byte* pa = a)
            fixed (sbyte* pw = w)
            fixed (int* pz = zeros, prs = rowSums, pt = sums)
            fixed (float* ps = scales, pws = wScales, pb = bias, py = y)
            {
                for (int p = 0; p < 3; p++)
                {
                    Int8TileScalar.Tile(pa, lda, pw + p * panelBytes, groups, pt);
                    Int8TileScalar.Tile(pa + 4 * lda, lda, pw + p * panelBytes, groups, pt + Int8Gemm.TileRows * Int8Matrix.PanelWidth);
                    for (int r = 0; r < Rows; r++)
                    for (int j = 0; j < Int8Matrix.PanelWidth; j++)
                    {
                        int c = p * Int8Matrix.PanelWidth + j;
                        float v = MathF.FusedMultiplyAdd(-(float)zeros[r], rowSums[c], sums[r * Int8Matrix.PanelWidth + j])
                            * (scales[r] * wScales[c]);
                        expected[Ldy + r * Ldy + c] = withBias ? v + bias[c] : v;
                    }
                }
                Int8TileVnni512.TileDequantize(pa, lda, pw, panelBytes, groups, py + Ldy, Ldy, pz, ps, prs, pws, withBias ? pb : null);
            }
            for (int i = 0; i < y.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                    $"groups {groups}, bias {withBias}: y[{i / Ldy - 1}, {i % Ldy}] is {y[i]}, expected {expected[i]}");
            }
            if (!withBias) Assert.Contains(y.AsSpan(Ldy + 3 * Ldy, Cols).ToArray(), v => v == 0 && float.IsNegative(v));
        }
    }
}
