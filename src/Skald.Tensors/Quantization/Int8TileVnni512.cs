using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX-512 VNNI int8 tile (8 rows × 16, 32 or 48 columns; twin: <see cref="Int8TileScalar"/>): per group of 4 k, one
/// 512-bit vpdpbusd adds the four u8 · s8 products of a broadcast activation group into each of a panel's 16 int32
/// lanes, exact for 8-bit codes like <see cref="Int8TileVnni"/>, but 16 columns an instruction instead of 8. .NET 10
/// has no intrinsic for it (<see cref="AvxVnni"/> stops at 256 bits; <c>Avx10v1</c> is not reported by CPUs with
/// only AVX512-VNNI), so the tile is machine code assembled by Iced when this class is first used, about 80 ms (the
/// assembler below reads as the listing) and placed in executable pages (<see cref="Memory.ExecutableMemory"/>). On
/// the Intel Xeon host (2 vpdpbusd a cycle at either width) it runs 1.4–2.1× the GOP/s (bench/int8, one thread, per CPU second) of <see cref="Int8TileVnni"/>.
/// <para>
/// Registers and argument block: <see cref="TileAssembler512"/> (zmm2–5 hold the broadcast activation groups).
/// </para>
/// </summary>
internal static unsafe class Int8TileVnni512
{
    /// <summary>Rows of the tile (a must hold this many readable rows).</summary>
    public const int Rows = TileAssembler512.Rows;

    private static readonly TileAssembler512.Placed Code = TileAssembler512.Placed.Create(HasInstructions(), static (panels, windows) => Assemble(panels, windows));

    // The same tile without the prefetch of the panels ahead (TileAssembler512.Assemble's prefetch: false): what every
    // tile of a block taller than one tile row runs, since the panel it reads is then already in L1 from the row above.
    private static readonly TileAssembler512.Placed Plain =
        TileAssembler512.Placed.Create(Code.IsPlaced, static (panels, windows) => Assemble(panels, windows, prefetch: false));

    // The 8 × 48 tile (three panels, no prefetch): 24 sums, three panel loads and 8 broadcasts a k step for 24 vpdpbusd,
    // against 2 + 8 for 16 in the 8 × 32 tile.
    private static readonly delegate* unmanaged[SuppressGCTransition]<TileAssembler512.Args*, void> Three =
        Code.IsPlaced ? (delegate* unmanaged[SuppressGCTransition]<TileAssembler512.Args*, void>)TileAssembler512.Place(
            static () => Assemble(3, OperatingSystem.IsWindows(), prefetch: false)) : null;

    // Each tile above with the int8 store in its epilogue (TileAssembler512.EmitDequantize: the sums dequantised into
    // y's rows instead of stored): the 8 × 48 tile (all 8 rows), the 8 × 32 and 8 × 16 tiles with and without prefetch
    // (1-8 rows).
    private static readonly delegate* unmanaged[SuppressGCTransition]<TileAssembler512.Args*, void> ThreeToY =
        Three != null ? (delegate* unmanaged[SuppressGCTransition]<TileAssembler512.Args*, void>)TileAssembler512.Place(
            static () => Assemble(3, OperatingSystem.IsWindows(), prefetch: false, dequantize: true)) : null;

    private static readonly TileAssembler512.Placed CodeToY =
        TileAssembler512.Placed.Create(Code.IsPlaced, static (panels, windows) => Assemble(panels, windows, dequantize: true));

    private static readonly TileAssembler512.Placed PlainToY =
        TileAssembler512.Placed.Create(Code.IsPlaced, static (panels, windows) => Assemble(panels, windows, prefetch: false, dequantize: true));

    /// <summary>Whether this CPU has AVX512-VNNI (CPUID leaf 7, ECX bit 11) with AVX-512 enabled, and the tile was placed.</summary>
    public static bool IsSupported =>
        Code.IsPlaced && Plain.IsPlaced && Three != null && ThreeToY != null && CodeToY.IsPlaced && PlainToY.IsPlaced;

    // AVX-512 as .NET enables it (the OS saves zmm state; DOTNET_EnableAVX512=0, the setting .NET 10 reads, turns it off) and the VNNI bit.
    private static bool HasInstructions() =>
        Avx512F.IsSupported && X86Base.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;

    /// <summary>
    /// Computes an 8 × 16 · <paramref name="panels"/> tile (1, 2 or, without <paramref name="prefetchNext"/>, 3 panels): acc[r · <paramref name="ldc"/> + 16p + j] = Σ_k a[r, k] ·
    /// w_p[j, k] for panel p at <paramref name="panel"/> + p · <paramref name="panelStride"/> bytes (<see cref="Int8Matrix"/>'s
    /// layout, <paramref name="groups"/> groups of 4 k deep, at least 1). With <paramref name="prefetchNext"/> it
    /// prefetches the panels after its own into L1 as it goes, at the same depth: when a few rows stream every panel once
    /// (a decoding step), the next tile's weights then arrive in time, which the hardware prefetcher, seeing two short
    /// interleaved streams, does not manage (int8 generation 1.2–1.25× faster on the Zen 5 VM).
    /// </summary>
    public static void Tile(byte* a, int lda, sbyte* panel, long panelStride, int panels, int groups, int* acc, int ldc,
        bool prefetchNext = false)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("this CPU has no AVX512-VNNI");
        if (panels is not (1 or 2 or 3) || (panels == 3 && prefetchNext))
            throw new ArgumentOutOfRangeException(nameof(panels), panels, "the tile takes 1 or 2 panels, or 3 without prefetch");
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var args = new TileAssembler512.Args
        {
            A = a, LdaBytes = lda, Panel0 = panel, Panel1 = panel + (panels >= 2 ? panelStride : 0), Steps = groups, Acc = acc,
            LdcBytes = (long)ldc * sizeof(int), Ahead = prefetchNext ? panels * panelStride : 0,
            Panel2 = panel + (panels == 3 ? 2 * panelStride : 0),
        };
        if (panels == 3) Three(&args);
        else (prefetchNext ? Code : Plain).Run(&args, panels);
    }

    /// <summary>
    /// <see cref="Tile"/> (1, 2 or, without <paramref name="prefetchNext"/>, 3 panels at <paramref name="panel"/> + p ·
    /// <paramref name="panelStride"/>) with the int8 store in its epilogue: y[r · <paramref name="ldy"/> + c] =
    /// fma(−zeros[r], rowSums[c], Σ_k a[r, k] · w[c, k]) · (scales[r] · wScales[c]) + bias[c] (no add when
    /// <paramref name="bias"/> is null) for r &lt; <paramref name="rows"/> (1–8, with 3 panels 8; the rows of y after them
    /// untouched, their zeros and scales unread), c &lt; 16 · <paramref name="panels"/>, bit for bit what <see cref="Tile"/>
    /// followed by <c>Int8Gemm.Store</c> writes. a must hold 8 readable rows. The column pointers are at the tile's first
    /// column, the row pointers at its first row.
    /// </summary>
    public static void TileDequantize(byte* a, int lda, sbyte* panel, long panelStride, int panels, int rows, int groups,
        float* y, int ldy, int* zeros, float* scales, int* rowSums, float* wScales, float* bias, bool prefetchNext = false)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("this CPU has no AVX512-VNNI");
        if (panels is not (1 or 2 or 3) || (panels == 3 && prefetchNext))
            throw new ArgumentOutOfRangeException(nameof(panels), panels, "the tile takes 1 or 2 panels, or 3 without prefetch");
        if (rows is < 1 or > Rows || (panels == 3 && rows != Rows))
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "a tile writes 1 to 8 rows, the three-panel tile 8");
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var args = new TileAssembler512.Args
        {
            A = a, LdaBytes = lda, Panel0 = panel, Panel1 = panel + (panels >= 2 ? panelStride : 0), Steps = groups,
            Ahead = prefetchNext ? panels * panelStride : 0, Panel2 = panel + (panels == 3 ? 2 * panelStride : 0),
            Y = y, LdyBytes = (long)ldy * sizeof(float), Zeros = zeros, RowScales = scales, RowSums = rowSums, WScales = wScales,
            Bias = bias, Rows = rows,
        };
        if (panels == 3) ThreeToY(&args);
        else (prefetchNext ? CodeToY : PlainToY).Run(&args, panels);
    }

    /// <summary>
    /// The tile's machine code for 1, 2 or (without prefetch) 3 panels, taking its argument block in rcx (Windows) or rdi (System V): four k
    /// steps a loop iteration, as MLAS's int8 kernel runs (on the loaded Zen 4 VM no gain beyond the noise, ≤ 2%: see
    /// docs/performance.md, 2026-12-06 20:30), the steps left over one at a time.
    /// </summary>
    internal static byte[] Assemble(int panels, bool windows, bool prefetch = true, bool dequantize = false) => TileAssembler512.Assemble(panels, windows, static (c, r, at, n) =>
    {
        // Row r's 4 codes of this group in every lane, times each panel's 16 columns × 4 weights (zmm0 + p; the
        // broadcasts rotate through zmm2-5, or zmm3-5 when zmm2 holds the third panel).
        var b = n == 3 ? (r % 3) switch { 0 => zmm3, 1 => zmm4, _ => zmm5 } : (r % 4) switch { 0 => zmm2, 1 => zmm3, 2 => zmm4, _ => zmm5 };
        c.vpbroadcastd(b, __dword_ptr[at]);
        c.vpdpbusd(TileAssembler512.Sum(r, 0, n), b, zmm0);
        if (n >= 2) c.vpdpbusd(TileAssembler512.Sum(r, 1, n), b, zmm1);
        if (n == 3) c.vpdpbusd(TileAssembler512.Sum(r, 2, n), b, zmm2);
    }, prefetch, unroll: 4, dequantize);
}
