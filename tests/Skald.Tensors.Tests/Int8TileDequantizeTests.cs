using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The VNNI tiles that dequantise in their own epilogue (<see cref="Int8TileVnni512.TileDequantize"/>: 8 × 48 of 8
/// rows, and 8 × 32 and 8 × 16 with and without prefetch, each writing 1 to 8 rows) against the scalar twin's integer sums
/// dequantised here, written out as the int8 store's documented order: y = fma(−zero, float(rowsum), float(sum)) ·
/// (scale · wscale) + bias, compared bit for bit (negative zeros too: with a negative weight scale an all-zero sum gives
/// −0, which an added zero bias would turn into +0), y's neighbours and the rows after the tile's untouched.
/// </summary>
public sealed class Int8TileDequantizeTests
{
    private const int Rows = 8, MaxCols = 48, Ldy = 56;

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public unsafe void TheDequantisingTileEqualsTheScalarTileAndStore()
    {
        var rng = new Random(61);
        foreach (var (panels, prefetch) in new[] { (3, false), (2, false), (2, true), (1, false), (1, true) })
        foreach (int groups in new[] { 1, 5, 96, 385 })
        foreach (int rows in panels == 3 ? [8] : new[] { 8, 1, 4, 7 })
        foreach (bool withBias in new[] { false, true })
        {
            int lda = groups * Int8Matrix.GroupDepth + 8, cols = panels * Int8Matrix.PanelWidth;
            long panelBytes = (long)groups * Int8Matrix.GroupDepth * Int8Matrix.PanelWidth;
            var a = new byte[Rows * lda];
            // a fourth panel after the tile's: what the prefetching tile asks for ahead (readable, never summed)
            var w = new sbyte[(panels + 1) * panelBytes];
            rng.NextBytes(a);
            rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
            a.AsSpan(0, lda).Clear(); // an all-zero row: sums 0, so −0 where the weight scale is negative
            var zeros = new int[Rows];
            var scales = new float[Rows];
            for (int r = 0; r < Rows; r++) (zeros[r], scales[r]) = (rng.Next(256), (float)rng.NextDouble() * 0.05f);
            zeros[0] = 0;
            var rowSums = new int[MaxCols];
            var wScales = new float[MaxCols];
            var bias = new float[MaxCols];
            for (int c = 0; c < MaxCols; c++)
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
                for (int p = 0; p < panels; p++)
                {
                    Int8TileScalar.Tile(pa, lda, pw + p * panelBytes, groups, pt);
                    Int8TileScalar.Tile(pa + 4 * lda, lda, pw + p * panelBytes, groups, pt + Int8Gemm.TileRows * Int8Matrix.PanelWidth);
                    for (int r = 0; r < rows; r++)
                    for (int j = 0; j < Int8Matrix.PanelWidth; j++)
                    {
                        int c = p * Int8Matrix.PanelWidth + j;
                        float v = MathF.FusedMultiplyAdd(-(float)zeros[r], rowSums[c], sums[r * Int8Matrix.PanelWidth + j])
                            * (scales[r] * wScales[c]);
                        expected[Ldy + r * Ldy + c] = withBias ? v + bias[c] : v;
                    }
                }
                Int8TileVnni512.TileDequantize(pa, lda, pw, panelBytes, panels, rows, groups, py + Ldy, Ldy, pz, ps, prs, pws,
                    withBias ? pb : null, prefetch);
            }
            for (int i = 0; i < y.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(y[i]),
                    $"{panels} panels, prefetch {prefetch}, groups {groups}, rows {rows}, bias {withBias}: y[{i / Ldy - 1}, {i % Ldy}] is {y[i]}, expected {expected[i]}");
            }
            if (!withBias) Assert.Contains(y.AsSpan(Ldy, cols).ToArray(), v => v == 0 && float.IsNegative(v));
        }
    }

    // A tile writes 1 to 8 rows of 1 or 2 panels, or 8 rows of 3 panels (without prefetch).
    [KernelFact(Int8Kernel.Avx512Vnni)]
    public unsafe void TheDequantisingTileRefusesRowsAndPanelsItHasNoCodeFor()
    {
        foreach (var (panels, rows, prefetch) in new[] { (2, 0, false), (2, 9, false), (3, 7, false), (0, 8, false), (4, 8, false), (3, 8, true) })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                Int8TileVnni512.TileDequantize(null, 16, null, 0, panels, rows, 1, null, 48, null, null, null, null, null, prefetch));
        }
    }
}
