namespace Skald.Tensors.Quantization;

/// <summary>Which instructions the int8 GEMM's inner tile uses.</summary>
public enum Int8Kernel
{
    /// <summary>Plain C# integer loops: the reference every vector path must match exactly (too slow to serve).</summary>
    Scalar,

    /// <summary>
    /// AVX2: vpmaddubsw (u8·s8 pairs to int16), two groups' results added in int16, then vpmaddwd by ones (to int32);
    /// 7-bit activations and 7-bit weights (8-bit weights widen every group).
    /// </summary>
    Avx2,

    /// <summary>AVX-VNNI: 256-bit vpdpbusd (four u8·s8 products summed into each int32 lane); 8-bit activations.</summary>
    AvxVnni,

    /// <summary>
    /// AVX-512BW: <see cref="Avx2"/>'s arithmetic on 512-bit vectors (one zmm per 16-column panel group), 8-row tiles;
    /// 7-bit activations and 7-bit weights (8-bit weights widen every group).
    /// </summary>
    Avx512BW,

    /// <summary>
    /// AVX512-VNNI: 512-bit vpdpbusd (<see cref="AvxVnni"/>'s arithmetic, 16 columns an instruction), 8 × 32 and 8 × 48
    /// tiles of machine code assembled at first use (<see cref="Int8TileVnni512"/>); 8-bit activations.
    /// </summary>
    Avx512Vnni,

    /// <summary>
    /// Intel AMX: tdpbusd on 16 × 64 tiles of codes and 64 × 16 tiles of weights, 32 × 32 sums a call
    /// (<see cref="Int8TileAmx"/>; Linux, once the kernel grants the tile state: <see cref="AmxState"/>); 8-bit
    /// activations, the same sums as <see cref="Avx512Vnni"/>, which runs a product whose K is not a multiple of 64.
    /// </summary>
    Amx,
}
