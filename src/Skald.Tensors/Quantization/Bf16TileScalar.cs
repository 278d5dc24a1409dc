using System.Runtime.CompilerServices;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The scalar twin of <see cref="Bf16TileDot512"/>: acc[r · ldc + j] = Σ_t a[r, t] · w[j, t] over an 8 × 16 tile, a
/// bfloat16 [8, lda], w one <see cref="Bf16Matrix"/> panel, in the instruction's order and rounding: per pair of k,
/// the odd-k product then the even-k product added to the float32 sum (each product of two bfloat16 is exact in
/// float32; each add rounds to nearest even), bfloat16 denormals read as zero and float32 denormals flushed to zero.
/// </summary>
internal static unsafe class Bf16TileScalar
{
    /// <summary>Computes the 8 × 16 tile into <paramref name="acc"/> (row r at r · <paramref name="ldc"/>).</summary>
    public static void Tile(ushort* a, int lda, ushort* panel, int pairs, float* acc, int ldc)
    {
        for (int r = 0; r < Bf16TileDot512.Rows; r++)
        {
            for (int j = 0; j < Bf16Matrix.PanelWidth; j++)
            {
                float sum = 0f;
                for (int t = 0; t < pairs; t++)
                {
                    ushort* w = panel + (long)t * Bf16Matrix.PanelWidth * 2 + j * 2;
                    ushort* x = a + (long)r * lda + 2 * t;
                    sum = Flush(sum + Flush(Value(x[1]) * Value(w[1])));
                    sum = Flush(sum + Flush(Value(x[0]) * Value(w[0])));
                }
                acc[r * ldc + j] = sum;
            }
        }
    }

    /// <summary>A bfloat16 as float32, a denormal read as (signed) zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Value(ushort bits) => Flush(Kernels.Bf16.ToSingle(bits));

    /// <summary>A float32 denormal as zero of its sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Flush(float v) => float.IsSubnormal(v) ? (float.IsNegative(v) ? -0f : 0f) : v;
}
