namespace Skald.Tensors.Quantization;

/// <summary>
/// The AMX bfloat16 tile (16 or 32 rows × 16 to 128 columns; twin: <see cref="Bf16TileAmxScalar"/>): one
/// <c>tdpbf16ps</c> multiplies a 16 × 32 tile of bfloat16 activations by a 32 × 16 tile of bfloat16 weights into
/// 16 × 16 float32 sums. <see cref="Bf16Matrix"/>'s panel layout is AMX's bfloat16 B layout as it is (each 64-byte row
/// one pair of k for the panel's 16 columns), so 16 pairs of a panel are one B tile read in place at a stride of 64
/// bytes; the activations are read at their row stride. The machine code is <see cref="Int8TileAmx"/>'s with
/// <c>tdpbf16ps</c> in place of <c>tdpbusd</c> (the same registers, walk, per-call configuration and release).
/// <para>
/// Summation (Intel SDM, TDPBF16PS's operation; bench/amx <c>--bf16-twin</c> found it bit for bit on a Sapphire
/// Rapids-class host, 512,000 sums of one instruction against four candidate orders, only this one matching all):
/// per instruction and output, an even-k and an odd-k partial sum start at zero and take the 16 pairs' products in
/// turn by fused multiply-add; their sum is then added to the tile. Every rounding is to nearest even, bfloat16
/// denormals read as zero and float32 denormals flush to zero. The float32 sums therefore differ in their last bits
/// from <see cref="Bf16TileDot512"/>'s (odd then even per pair, straight into the sum): the same products, another order.
/// </para>
/// </summary>
internal static unsafe class Bf16TileAmx
{
    /// <summary>Rows of one A tile (a call reads 16 or 32 rows of a: all must be readable).</summary>
    public const int Rows = Int8TileAmx.Rows;

    /// <summary>k values a tile product consumes (64 bytes of each activation row): K must be a multiple.</summary>
    public const int Depth = 32;

    private static readonly nint[] Codes = Int8TileAmx.PlaceAll(bf16: true);

    /// <summary>
    /// Whether the process may run AMX (<see cref="AmxState.Refusal"/> null), the CPU has AMX-BF16, and the codes were
    /// placed.
    /// </summary>
    public static bool IsSupported => Codes.Length == 4;

    /// <summary>
    /// acc[r · <paramref name="ldc"/> + 16p + j] = Σ_k a[r, k] · w_p[j, k] for r &lt; 16 · <paramref name="rowTiles"/>
    /// (1 or 2), panel p &lt; <paramref name="panels"/> (1 to 2 · <see cref="Int8TileAmx.MaxPairs"/>) at
    /// <paramref name="panel"/> + p · <paramref name="panelStride"/> values, k &lt; 32 · <paramref name="chunks"/>, a
    /// row-major bfloat16 with rows <paramref name="lda"/> values apart. False, with nothing computed, when the calling
    /// thread cannot run tile instructions (<see cref="AmxState.PrepareThread"/>): the caller then runs another tile.
    /// </summary>
    public static bool Tile(ushort* a, int lda, ushort* panel, long panelStride, int rowTiles, int panels, int chunks, float* acc, int ldc)
    {
        if (!IsSupported) throw new PlatformNotSupportedException($"no AMX-BF16 here: {AmxState.Refusal ?? "the CPU lacks it"}");
        return Int8TileAmx.Run(Codes, a, (long)lda * sizeof(ushort), panel, panelStride * sizeof(ushort), rowTiles, panels, chunks,
            acc, (long)ldc * sizeof(float));
    }
}
