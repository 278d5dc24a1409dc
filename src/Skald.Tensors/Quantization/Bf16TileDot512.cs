using System.Runtime.InteropServices;
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
/// Registers (volatile in both the System V and the Windows x64 ABI, plus rbx and rsi, saved): r11 = the argument block
/// (<see cref="Args"/>), rax = a's rows 0–3, rcx = a's rows 4–7, r8 = lda in bytes, r9 = 3 · lda, rdx and r10 = the
/// two panels, rbx = pairs left, rsi = the prefetch distance; zmm16–31 = the sums (row r, panel p in zmm16 + 2r + p),
/// zmm0–1 = a pair group of each panel. xmm6–15, which Windows preserves, are not touched.
/// </para>
/// </summary>
internal static unsafe class Bf16TileDot512
{
    /// <summary>Rows of the tile (a must hold this many readable rows).</summary>
    public const int Rows = 8;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Args*, void> OnePanel, TwoPanels;

    /// <summary>Whether this CPU has AVX512-BF16 (CPUID leaf 7 subleaf 1, EAX bit 5) with AVX-512 enabled, and the tile was placed.</summary>
    public static bool IsSupported { get; }

    static Bf16TileDot512()
    {
        if (!HasInstructions()) return;
        nint one = ExecutableCode(1), two = ExecutableCode(2);
        if (one == 0 || two == 0) return;
        OnePanel = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)one;
        TwoPanels = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)two;
        IsSupported = true;
    }

    /// <summary>
    /// AVX-512 as .NET enables it (the OS saves zmm state; DOTNET_EnableAVX512F=0 is respected), and CPUID leaf 7
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
    /// after its own into L1 as it goes (what <see cref="Int8TileVnni512.Tile"/> does for a decoding step).
    /// </summary>
    public static void Tile(ushort* a, int lda, ushort* panel, long panelStride, int panels, int pairs, float* acc, int ldc,
        bool prefetchNext = false)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("this CPU has no AVX512-BF16");
        if (panels is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(panels), panels, "the tile takes 1 or 2 panels");
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        var args = new Args
        {
            A = a, LdaBytes = (long)lda * sizeof(ushort), Panel0 = panel, Panel1 = panel + (panels == 2 ? panelStride : 0),
            Pairs = pairs, Acc = acc, LdcBytes = (long)ldc * sizeof(float),
            Ahead = prefetchNext ? panels * panelStride * sizeof(ushort) : 0,
        };
        if (panels == 2) TwoPanels(&args);
        else OnePanel(&args);
    }

    // The argument block the code reads through r11 (one pointer argument: only its register differs between ABIs).
    [StructLayout(LayoutKind.Sequential)]
    private struct Args
    {
        public ushort* A;
        public long LdaBytes;
        public ushort* Panel0;
        public ushort* Panel1;
        public long Pairs;
        public float* Acc;
        public long LdcBytes;
        public long Ahead; // bytes from each panel to the line to prefetch (0: its own, already being read)
    }

    private static nint ExecutableCode(int panels)
    {
        try
        {
            return Memory.ExecutableMemory.Place(Assemble(panels, OperatingSystem.IsWindows()));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            return 0; // float32 stays in use
        }
    }

    /// <summary>The tile's machine code for 1 or 2 panels, taking its argument block in rcx (Windows) or rdi (System V).</summary>
    internal static byte[] Assemble(int panels, bool windows)
    {
        var c = new Assembler(64);
        AssemblerRegisterZMM[] sums = [zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26, zmm27, zmm28, zmm29, zmm30, zmm31];
        c.push(rbx);
        c.push(rsi);
        c.mov(r11, windows ? rcx : rdi);
        c.mov(rax, __qword_ptr[r11]);         // a, rows 0-3
        c.mov(r8, __qword_ptr[r11 + 8]);      // lda in bytes
        c.mov(rdx, __qword_ptr[r11 + 16]);    // panel 0
        c.mov(r10, __qword_ptr[r11 + 24]);    // panel 1
        c.mov(rbx, __qword_ptr[r11 + 32]);    // pairs
        c.lea(r9, __[r8 + r8 * 2]);           // 3 · lda
        c.lea(rcx, __[rax + r8 * 4]);         // a, rows 4-7
        c.mov(rsi, __qword_ptr[r11 + 56]);    // prefetch distance
        for (int r = 0; r < Rows; r++)
        for (int p = 0; p < panels; p++)
            c.vpxord(sums[2 * r + p], sums[2 * r + p], sums[2 * r + p]);
        var loop = c.CreateLabel();
        c.Label(ref loop);
        c.prefetcht0(__[rdx + rsi]);
        if (panels == 2) c.prefetcht0(__[r10 + rsi]);
        c.vmovdqu32(zmm0, __zmmword_ptr[rdx]);
        if (panels == 2) c.vmovdqu32(zmm1, __zmmword_ptr[r10]);
        AssemblerMemoryOperand[] rows =
        [
            __dword_bcst[rax], __dword_bcst[rax + r8], __dword_bcst[rax + r8 * 2], __dword_bcst[rax + r9],
            __dword_bcst[rcx], __dword_bcst[rcx + r8], __dword_bcst[rcx + r8 * 2], __dword_bcst[rcx + r9],
        ];
        for (int r = 0; r < Rows; r++)
        {
            // Row r's pair in every lane (m32bcst), times each panel's 16 columns' pairs.
            c.vdpbf16ps(sums[2 * r], zmm0, rows[r]);
            if (panels == 2) c.vdpbf16ps(sums[2 * r + 1], zmm1, rows[r]);
        }
        c.add(rax, 4);
        c.add(rcx, 4);
        c.add(rdx, 64);
        c.add(r10, 64);
        c.dec(rbx);
        c.jnz(loop);
        c.mov(rax, __qword_ptr[r11 + 40]);    // acc
        c.mov(r8, __qword_ptr[r11 + 48]);     // ldc in bytes
        c.lea(r9, __[r8 + r8 * 2]);
        c.lea(rcx, __[rax + r8 * 4]);
        AssemblerRegister64[] bases = [rax, rax, rax, rax, rcx, rcx, rcx, rcx];
        for (int r = 0; r < Rows; r++)
        {
            var row = (r % 4) switch { 0 => __[bases[r]], 1 => __[bases[r] + r8], 2 => __[bases[r] + r8 * 2], _ => __[bases[r] + r9] };
            c.vmovups(__zmmword_ptr[row], sums[2 * r]);
            if (panels == 2) c.vmovups(__zmmword_ptr[row + 64], sums[2 * r + 1]);
        }
        c.vzeroupper();
        c.pop(rsi);
        c.pop(rbx);
        c.ret();
        var stream = new MemoryStream();
        c.Assemble(new StreamCodeWriter(stream), 0);
        return stream.ToArray();
    }
}
