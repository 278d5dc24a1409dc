using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX512-BF16 tile (8 rows × 16 or 32 columns; twin: <see cref="Bf16TileScalar"/>): per pair of k, one 512-bit
/// <c>vdpbf16ps</c> with a broadcast memory operand (m32bcst) adds a row's two bfloat16 activations times each of a
/// panel's 16 columns' two bfloat16 weights into 16 float32 sums: 32 multiply-adds an instruction, twice a float32
/// FMA's. .NET 10 has no intrinsic for it, so, like <see cref="Int8TileVnni512"/>, the tile is machine code assembled
/// by Iced when this class is first used and placed in executable pages (<see cref="Memory.ExecutableMemory"/>).
/// <para>
/// Registers and argument block: <see cref="TileAssembler512"/>; the loop body is one vdpbf16ps per row and panel.
/// </para>
/// </summary>
internal static unsafe class Bf16TileDot512
{
    /// <summary>Rows of the tile (a must hold this many readable rows).</summary>
    public const int Rows = TileAssembler512.Rows;

    private static readonly TileAssembler512.Placed Code = TileAssembler512.Placed.Create(HasInstructions(), Assemble);

    /// <summary>Whether this CPU has AVX512-BF16 (CPUID leaf 7 subleaf 1, EAX bit 5) with AVX-512 enabled, and the tile was placed.</summary>
    public static bool IsSupported => Code.IsPlaced;

    /// <summary>
    /// AVX-512 as .NET enables it (the OS saves zmm state; DOTNET_EnableAVX512=0 is respected), and CPUID leaf 7
    /// subleaf 1's EAX bit 5 (AVX512_BF16; subleaf 1 exists when subleaf 0's EAX, the highest subleaf, is at least 1).
    /// </summary>
    internal static bool HasInstructions() =>
        Avx512F.IsSupported && X86Base.IsSupported && X86Base.CpuId(7, 0).Eax >= 1 && (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;

    /// <summary>
    /// Computes an 8 × 16 · <paramref name="panels"/> float32 tile: acc[r · <paramref name="ldc"/> + 16p + j] = Σ_t
    /// a[r, t] · w_p[j, t] over <paramref name="pairs"/> pairs of k (at least 1), a row-major bfloat16 with rows
    /// <paramref name="lda"/> values apart (even), panel p at <paramref name="panel"/> + p · <paramref name="panelStride"/>
    /// values in <see cref="Bf16Matrix"/>'s layout. Each pair adds its odd-k product, then its even-k product (both exact
    /// in float32), rounding to nearest even after each add; bfloat16 denormals read as zero and float32 denormal sums
    /// flush to zero (the instruction's fixed DAZ/FTZ). With <paramref name="prefetchNext"/> it prefetches the panels
    /// after its own into L1 as it goes (what <see cref="Int8TileVnni512.Tile"/> does for a decoding step): the panels
    /// <paramref name="nextPanel"/> values after each of its own, or, when that is 0, the next <paramref name="panels"/>
    /// · <paramref name="panelStride"/> values on (the following run of panels).
    /// </summary>
    public static void Tile(ushort* a, int lda, ushort* panel, long panelStride, int panels, int pairs, float* acc, int ldc,
        bool prefetchNext = false, long nextPanel = 0)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("this CPU has no AVX512-BF16");
        if (panels is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(panels), panels, "the tile takes 1 or 2 panels");
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        var args = new TileAssembler512.Args
        {
            A = a, LdaBytes = (long)lda * sizeof(ushort), Panel0 = panel, Panel1 = panel + (panels == 2 ? panelStride : 0),
            Steps = pairs, Acc = acc, LdcBytes = (long)ldc * sizeof(float),
            Ahead = prefetchNext ? (nextPanel != 0 ? nextPanel : panels * panelStride) * sizeof(ushort) : 0,
        };
        Code.Run(&args, panels);
    }

    /// <summary>The tile's machine code for 1 or 2 panels, taking its argument block in rcx (Windows) or rdi (System V).</summary>
    internal static byte[] Assemble(int panels, bool windows) => TileAssembler512.Assemble(panels, windows, static (c, r, at, n) =>
    {
        // Row r's pair in every lane (m32bcst), times each panel's 16 columns' pairs.
        c.vdpbf16ps(TileAssembler512.Sum(r, 0), zmm0, __dword_bcst[at]);
        if (n == 2) c.vdpbf16ps(TileAssembler512.Sum(r, 1), zmm1, __dword_bcst[at]);
    });
}
