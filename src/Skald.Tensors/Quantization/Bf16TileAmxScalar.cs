namespace Skald.Tensors.Quantization;

/// <summary>
/// The scalar twin of <see cref="Bf16TileAmx"/>: acc[r · ldc + j] = Σ_t a[r, t] · w[j, t] over a rows × 16 tile, a
/// bfloat16 [rows, lda], w one <see cref="Bf16Matrix"/> panel, K a whole number of 32-deep chunks, in
/// <c>tdpbf16ps</c>'s order and rounding: per chunk an even-k and an odd-k partial sum from zero, each taking its 16
/// products by fused multiply-add rounded to nearest even, their sum, then that added to the tile's sum (from zero);
/// bfloat16 denormals read as zero, float32 denormals flushed to zero after every operation.
/// </summary>
internal static unsafe class Bf16TileAmxScalar
{
    /// <summary>Computes <paramref name="rows"/> × 16 sums over <paramref name="chunks"/> chunks of 32 k into <paramref name="acc"/>.</summary>
    public static void Tile(ushort* a, int lda, ushort* panel, int rows, int chunks, float* acc, int ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < Bf16Matrix.PanelWidth; j++)
            {
                float sum = 0f;
                for (int c = 0; c < chunks; c++)
                {
                    float even = 0f, odd = 0f;
                    for (int t = 16 * c; t < 16 * c + 16; t++)
                    {
                        ushort* w = panel + (long)t * Bf16Matrix.PanelWidth * 2 + j * 2;
                        ushort* x = a + (long)r * lda + 2 * t;
                        even = Bf16TileScalar.Flush(MathF.FusedMultiplyAdd(Bf16TileScalar.Value(x[0]), Bf16TileScalar.Value(w[0]), even));
                        odd = Bf16TileScalar.Flush(MathF.FusedMultiplyAdd(Bf16TileScalar.Value(x[1]), Bf16TileScalar.Value(w[1]), odd));
                    }
                    sum = Bf16TileScalar.Flush(sum + Bf16TileScalar.Flush(even + odd));
                }
                acc[r * ldc + j] = sum;
            }
        }
    }

}
