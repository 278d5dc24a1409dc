namespace Skald.Tensors.Quantization;

/// <summary>
/// The scalar twin of the int8 tile kernels: acc[r, c] = Σ_k a[r, k] · q[c, k] over a 4 × 16 tile, a u8 [4, lda],
/// q one <see cref="Int8Matrix"/> panel (groups of 4 k for 16 rows). Plain integer loops, exact.
/// </summary>
internal static unsafe class Int8TileScalar
{
    /// <summary>Computes the tile into <paramref name="acc"/> [4 · 16] (row r at r · 16).</summary>
    public static void Tile(byte* a, int lda, sbyte* panel, int groups, int* acc)
    {
        for (int r = 0; r < Int8Gemm.TileRows; r++)
        {
            for (int c = 0; c < Int8Matrix.PanelWidth; c++)
            {
                int sum = 0;
                for (int g = 0; g < groups; g++)
                {
                    sbyte* w = panel + g * Int8Matrix.PanelWidth * Int8Matrix.GroupDepth + c * Int8Matrix.GroupDepth;
                    byte* x = a + r * lda + g * Int8Matrix.GroupDepth;
                    for (int d = 0; d < Int8Matrix.GroupDepth; d++) sum += x[d] * w[d];
                }
                acc[r * Int8Matrix.PanelWidth + c] = sum;
            }
        }
    }
}
