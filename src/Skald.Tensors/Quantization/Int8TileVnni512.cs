using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AVX-512 VNNI int8 tile (8 rows × 16 or 32 columns; twin: <see cref="Int8TileScalar"/>): per group of 4 k, one
/// 512-bit vpdpbusd adds the four u8 · s8 products of a broadcast activation group into each of a panel's 16 int32
/// lanes, exact for 8-bit codes like <see cref="Int8TileVnni"/>, but 16 columns an instruction instead of 8. .NET 10
/// has no intrinsic for it (<see cref="AvxVnni"/> stops at 256 bits; <c>Avx10v1</c> is not reported by CPUs with
/// only AVX512-VNNI), so the tile is machine code assembled by Iced when this class is first used, about 80 ms (the
/// assembler below reads as the listing) and placed in executable pages (<see cref="Memory.ExecutableMemory"/>). On
/// the Intel Xeon host (2 vpdpbusd a cycle at either width) it runs 1.4–2.1× the GOP/s (bench/int8, one thread, per CPU second) of <see cref="Int8TileVnni"/>.
/// <para>
/// Registers (volatile in both the System V and the Windows x64 ABI, plus rbx and rsi, saved): r11 = the argument block
/// (<see cref="Args"/>), rax = a's rows 0–3, rcx = a's rows 4–7, r8 = lda, r9 = 3 · lda, rdx and r10 = the two panels,
/// rbx = groups left, rsi = the prefetch distance; zmm16–31 = the sums (row r, panel p in zmm16 + 2r + p), zmm0–1 = a group of each panel,
/// zmm2–5 = broadcast activation groups. xmm6–15, which Windows preserves, are not touched.
/// </para>
/// </summary>
internal static unsafe class Int8TileVnni512
{
    /// <summary>Rows of the tile (a must hold this many readable rows).</summary>
    public const int Rows = 8;

    private static readonly delegate* unmanaged[SuppressGCTransition]<Args*, void> OnePanel, TwoPanels;

    /// <summary>Whether this CPU has AVX512-VNNI (CPUID leaf 7, ECX bit 11) with AVX-512 enabled, and the tile was placed.</summary>
    public static bool IsSupported { get; }

    static Int8TileVnni512()
    {
        if (!HasInstructions()) return;
        nint one = ExecutableCode(1), two = ExecutableCode(2);
        if (one == 0 || two == 0) return;
        OnePanel = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)one;
        TwoPanels = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)two;
        IsSupported = true;
    }

    // AVX-512 as .NET enables it (the OS saves zmm state; DOTNET_EnableAVX512F=0 is respected) and the VNNI bit.
    private static bool HasInstructions() =>
        Avx512F.IsSupported && X86Base.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;

    /// <summary>
    /// Computes an 8 × 16 · <paramref name="panels"/> tile: acc[r · <paramref name="ldc"/> + 16p + j] = Σ_k a[r, k] ·
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
        if (panels is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(panels), panels, "the tile takes 1 or 2 panels");
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var args = new Args
        {
            A = a, Lda = lda, Panel0 = panel, Panel1 = panel + (panels == 2 ? panelStride : 0), Groups = groups, Acc = acc,
            LdcBytes = (long)ldc * sizeof(int), Ahead = prefetchNext ? panels * panelStride : 0,
        };
        if (panels == 2) TwoPanels(&args);
        else OnePanel(&args);
    }

    // The argument block the code reads through r11 (one pointer argument: only its register differs between ABIs).
    [StructLayout(LayoutKind.Sequential)]
    private struct Args
    {
        public byte* A;
        public long Lda;
        public sbyte* Panel0;
        public sbyte* Panel1;
        public long Groups;
        public int* Acc;
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
            return 0; // the managed tiles stay in use
        }
    }

    /// <summary>The tile's machine code for 1 or 2 panels, taking its argument block in rcx (Windows) or rdi (System V).</summary>
    internal static byte[] Assemble(int panels, bool windows)
    {
        var c = new Assembler(64);
        AssemblerRegisterZMM[] sums = [zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26, zmm27, zmm28, zmm29, zmm30, zmm31];
        AssemblerRegisterZMM[] broadcast = [zmm2, zmm3, zmm4, zmm5];
        c.push(rbx);
        c.push(rsi);
        c.mov(r11, windows ? rcx : rdi);
        c.mov(rax, __qword_ptr[r11]);         // a, rows 0-3
        c.mov(r8, __qword_ptr[r11 + 8]);      // lda
        c.mov(rdx, __qword_ptr[r11 + 16]);    // panel 0
        c.mov(r10, __qword_ptr[r11 + 24]);    // panel 1
        c.mov(rbx, __qword_ptr[r11 + 32]);    // groups
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
            __dword_ptr[rax], __dword_ptr[rax + r8], __dword_ptr[rax + r8 * 2], __dword_ptr[rax + r9],
            __dword_ptr[rcx], __dword_ptr[rcx + r8], __dword_ptr[rcx + r8 * 2], __dword_ptr[rcx + r9],
        ];
        for (int r = 0; r < Rows; r++)
        {
            // Row r's 4 codes of this group in every lane, times each panel's 16 columns × 4 weights.
            var b = broadcast[r % broadcast.Length];
            c.vpbroadcastd(b, rows[r]);
            c.vpdpbusd(sums[2 * r], b, zmm0);
            if (panels == 2) c.vpdpbusd(sums[2 * r + 1], b, zmm1);
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
        AssemblerMemoryOperand[] outRows =
        [
            __zmmword_ptr[rax], __zmmword_ptr[rax + r8], __zmmword_ptr[rax + r8 * 2], __zmmword_ptr[rax + r9],
            __zmmword_ptr[rcx], __zmmword_ptr[rcx + r8], __zmmword_ptr[rcx + r8 * 2], __zmmword_ptr[rcx + r9],
        ];
        AssemblerMemoryOperand[] outRows1 =
        [
            __zmmword_ptr[rax + 64], __zmmword_ptr[rax + r8 + 64], __zmmword_ptr[rax + r8 * 2 + 64], __zmmword_ptr[rax + r9 + 64],
            __zmmword_ptr[rcx + 64], __zmmword_ptr[rcx + r8 + 64], __zmmword_ptr[rcx + r8 * 2 + 64], __zmmword_ptr[rcx + r9 + 64],
        ];
        for (int r = 0; r < Rows; r++)
        {
            c.vmovdqu32(outRows[r], sums[2 * r]);
            if (panels == 2) c.vmovdqu32(outRows1[r], sums[2 * r + 1]);
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
