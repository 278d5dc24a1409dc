using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AMX int8 tile (16 or 32 rows × 16 to 128 columns; twin: <see cref="Int8TileScalar"/>): one <c>tdpbusd</c>
/// multiplies a 16 × 64 tile of u8 activation codes by a 64 × 16 tile of s8 weights into 16 × 16 int32 sums, exact.
/// <see cref="Int8Matrix"/>'s panel layout is AMX's B layout as it is: 16 consecutive groups of a panel (64 k) are
/// 16 rows of 64 bytes, each row the 4 k of a group for the panel's 16 columns, so the weights are read in place at a
/// stride of 64 bytes; the codes are read at their row stride. C tiles tmm0–3 (row tile r, panel p in tmm 2r + p),
/// A tiles tmm4–5 (rows 0–15, 16–31), B tiles tmm6–7 (panels 0, 1). .NET 10 has no AMX intrinsics, so the tile is
/// machine code assembled by Iced on first use and placed in executable pages, as <see cref="Int8TileVnni512"/>.
/// <para>
/// Tile state per call: each call loads its own configuration (<c>ldtilecfg</c> of 64 bytes placed after its code:
/// palette 1, all eight tiles 16 rows × 64 bytes) and ends with <c>tilerelease</c>, so no tile state outlives a call:
/// nothing another user of AMX on the thread configures is assumed or disturbed, and signals between calls save no
/// tile data. A call covers the whole depth of up to four 32 × 32 tiles side by side, so the configuration is paid
/// once per up to K/64 × 16 products. System V calling convention only (AMX runs on Linux only,
/// <see cref="AmxState"/>): the argument block in rdi; rax, rcx, rdx, rsi, r8–r11 are written, all volatile there;
/// no vector register is touched.
/// </para>
/// </summary>
internal static unsafe class Int8TileAmx
{
    /// <summary>Rows of one A tile (a call reads 16 or 32 rows of a: all must be readable).</summary>
    public const int Rows = 16;

    /// <summary>k values a tile product consumes (64 bytes of each activation row): K must be a multiple.</summary>
    public const int Depth = 64;

    /// <summary>Most panel pairs one call of the two-panel code runs (its sums: 32 rows × 32 · this columns).</summary>
    public const int MaxPairs = 4;

    /// <summary>The argument block the code reads through rdi (the two-panel code also writes it: it walks Panel and Acc on).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Args
    {
        /// <summary>a, row 0 (u8 codes).</summary>
        public void* A;

        /// <summary>Bytes from one row of a to the next.</summary>
        public long LdaBytes;

        /// <summary>The first panel.</summary>
        public void* Panel;

        /// <summary>Bytes from one panel to the next.</summary>
        public long PanelStride;

        /// <summary>Tile products along k, K / 64 (at least 1).</summary>
        public long Chunks;

        /// <summary>The sums: row r at r · <see cref="LdcBytes"/>, panel p 64 · p bytes further.</summary>
        public void* Acc;

        /// <summary>Bytes from one row of sums to the next.</summary>
        public long LdcBytes;

        /// <summary>Panel pairs of the two-panel code (1 to <see cref="MaxPairs"/>).</summary>
        public long Pairs;
    }

    // The code of (row tiles, panels) = (1, 1), (1, 2), (2, 1), (2, 2) at index 2 · (rowTiles − 1) + panels − 1.
    private static readonly nint[] Codes = PlaceAll(bf16: false);

    /// <summary>Whether the process may run AMX (<see cref="AmxState.Refusal"/> null) and the four codes were placed.</summary>
    public static bool IsSupported => Codes.Length == 4;

    /// <summary>
    /// acc[r · <paramref name="ldc"/> + 16p + j] = Σ_k a[r, k] · w_p[j, k] for r &lt; 16 · <paramref name="rowTiles"/>
    /// (1 or 2), panel p &lt; <paramref name="panels"/> (1 to 2 · <see cref="MaxPairs"/>) at <paramref name="panel"/> + p ·
    /// <paramref name="panelStride"/> bytes, k &lt; 64 · <paramref name="chunks"/>: pairs of panels by the two-panel
    /// code, in one call, an odd last panel by the one-panel code. False, with nothing computed, when the calling thread
    /// cannot run tile instructions (<see cref="AmxState.PrepareThread"/>): the caller then runs another tile.
    /// </summary>
    public static bool Tile(byte* a, int lda, sbyte* panel, long panelStride, int rowTiles, int panels, int chunks, int* acc, int ldc) =>
        Run(Codes, a, lda, panel, panelStride, rowTiles, panels, chunks, acc, (long)ldc * sizeof(int));

    /// <summary>
    /// Runs one of <paramref name="codes"/> (<see cref="PlaceAll"/>'s four, of either instruction) over 16 ·
    /// <paramref name="rowTiles"/> rows × <paramref name="panels"/> panels: a at <paramref name="ldaBytes"/> a row, panels
    /// <paramref name="panelStrideBytes"/> apart, the 4-byte sums at <paramref name="ldcBytes"/> a row. False when the
    /// thread cannot run tile instructions.
    /// </summary>
    internal static bool Run(nint[] codes, void* a, long ldaBytes, void* panel, long panelStrideBytes, int rowTiles, int panels,
        int chunks, void* acc, long ldcBytes)
    {
        if (codes.Length != 4) throw new PlatformNotSupportedException($"no AMX here: {AmxState.Refusal}");
        if (rowTiles is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(rowTiles), rowTiles, "a call takes 1 or 2 row tiles");
        if (panels < 1 || panels > 2 * MaxPairs) throw new ArgumentOutOfRangeException(nameof(panels), panels, $"a call takes 1 to {2 * MaxPairs} panels");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        if (!AmxState.PrepareThread()) return false;
        var args = new Args
        {
            A = a, LdaBytes = ldaBytes, Panel = panel, PanelStride = panelStrideBytes, Chunks = chunks, Acc = acc,
            LdcBytes = ldcBytes, Pairs = panels / 2,
        };
        int code = 2 * (rowTiles - 1);
        if (panels >= 2) ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)codes[code + 1])(&args);
        if (panels % 2 == 0) return true;
        // The two-panel code leaves Panel and Acc at the odd panel.
        args.Panel = (byte*)panel + (panels - 1) * panelStrideBytes;
        args.Acc = (byte*)acc + (panels - 1) * 64;
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)codes[code])(&args);
        return true;
    }

    /// <summary>
    /// The four codes (row tiles 1–2 × one panel or pairs), of <c>tdpbf16ps</c> with <paramref name="bf16"/> (for
    /// <see cref="Bf16TileAmx"/>) else <c>tdpbusd</c>; empty when the process may not run AMX or placing failed.
    /// </summary>
    internal static nint[] PlaceAll(bool bf16)
    {
        if (AmxState.Refusal != null || (bf16 && !AmxState.HasBf16)) return [];
        var codes = new nint[4];
        for (int i = 0; i < 4; i++)
        {
            int rowTiles = i / 2 + 1, panels = i % 2 + 1;
            codes[i] = TileAssembler512.Place(() => Assemble(rowTiles, panels, bf16));
            if (codes[i] == 0) return [];
        }
        return codes;
    }

    /// <summary>
    /// The machine code of <paramref name="rowTiles"/> (1, 2) row tiles × one panel, or × <see cref="Args.Pairs"/>
    /// pairs of panels (<paramref name="panels"/> 2), its configuration after the ret; with <paramref name="bf16"/>
    /// each product is <c>tdpbf16ps</c> (a 64-byte row is 32 bfloat16 of k, a panel's 64-byte row one pair of k for its
    /// 16 columns: the same bytes a chunk, so the same walk) instead of <c>tdpbusd</c>.
    /// </summary>
    /// <remarks>
    /// Registers: rdi = the argument block; per pair rsi and r11 = a's rows 0–15 and 16–31 as k goes on, rdx and r10 =
    /// the two panels, r8 = lda, r9 = 64 (a panel's row stride: one group, 16 columns × 4 k), rcx = chunks left; at
    /// the store rax = the sums and r8 = ldc.
    /// </remarks>
    internal static byte[] Assemble(int rowTiles, int panels, bool bf16 = false)
    {
        if (rowTiles is not (1 or 2) || panels is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(rowTiles));
        var c = new Assembler(64);
        var config = c.CreateLabel();
        var pair = c.CreateLabel();
        var loop = c.CreateLabel();
        c.ldtilecfg(__[config]);
        c.mov(r9d, Depth);
        c.Label(ref pair);
        c.mov(rsi, __qword_ptr[rdi]);        // a, rows 0-15
        c.mov(r8, __qword_ptr[rdi + 8]);     // lda in bytes
        c.mov(rdx, __qword_ptr[rdi + 16]);   // panel 0 of the pair
        c.mov(r10, __qword_ptr[rdi + 24]);   // the panel stride
        c.add(r10, rdx);                     // panel 1
        c.mov(rcx, __qword_ptr[rdi + 32]);   // chunks
        if (rowTiles == 2)
        {
            c.mov(r11, r8);
            c.shl(r11, 4);
            c.add(r11, rsi);                 // a, rows 16-31
        }
        for (int r = 0; r < rowTiles; r++)
        for (int p = 0; p < panels; p++)
            c.tilezero(C(r, p));
        c.Label(ref loop);
        c.tileloadd(tmm6, __[rdx + r9]);
        if (panels == 2) c.tileloadd(tmm7, __[r10 + r9]);
        c.tileloadd(tmm4, __[rsi + r8]);
        for (int p = 0; p < panels; p++) Product(c, bf16, C(0, p), tmm4, p == 0 ? tmm6 : tmm7);
        if (rowTiles == 2)
        {
            c.tileloadd(tmm5, __[r11 + r8]);
            for (int p = 0; p < panels; p++) Product(c, bf16, C(1, p), tmm5, p == 0 ? tmm6 : tmm7);
            c.add(r11, Depth);
        }
        c.add(rsi, Depth);
        c.add(rdx, Depth * Int8Matrix.PanelWidth);
        if (panels == 2) c.add(r10, Depth * Int8Matrix.PanelWidth);
        c.dec(rcx);
        c.jnz(loop);
        c.mov(rax, __qword_ptr[rdi + 40]);   // the sums
        c.mov(r8, __qword_ptr[rdi + 48]);    // ldc in bytes
        for (int r = 0; r < rowTiles; r++)
        {
            if (r == 1)
            {
                c.mov(rsi, r8);
                c.shl(rsi, 4);
                c.add(rax, rsi);             // the sums, row 16
            }
            for (int p = 0; p < panels; p++) c.tilestored(__[rax + r8 + 64 * p], C(r, p));
        }
        if (panels == 2)
        {
            // The next pair: its two panels, its 32 columns of sums.
            c.mov(rdx, __qword_ptr[rdi + 24]);
            c.add(rdx, rdx);
            c.add(__qword_ptr[rdi + 16], rdx);
            c.add(__qword_ptr[rdi + 40], 2 * Depth);
            c.dec(__qword_ptr[rdi + 56]);
            c.jnz(pair);
        }
        c.tilerelease();
        c.ret();
        return Finish(c, config);
    }

    /// <summary>
    /// Places the tile configuration at <paramref name="config"/> (after the code's ret) and assembles
    /// <paramref name="c"/>: palette 1, start row 0, then per tile its bytes per row (16-bit, from byte 16) and rows (from
    /// byte 48), all eight tiles 16 rows × 64 bytes, what <c>ldtilecfg</c> reads.
    /// </summary>
    internal static byte[] Finish(Assembler c, Label config)
    {
        c.Label(ref config);
        var cfg = new byte[64];
        cfg[0] = 1;
        for (int t = 0; t < 8; t++)
        {
            cfg[16 + 2 * t] = 64;
            cfg[48 + t] = Rows;
        }
        c.db(cfg);
        var stream = new MemoryStream();
        c.Assemble(new StreamCodeWriter(stream), 0);
        return stream.ToArray();
    }

    private static void Product(Assembler c, bool bf16, AssemblerRegisterTMM sums, AssemblerRegisterTMM a, AssemblerRegisterTMM b)
    {
        if (bf16) c.tdpbf16ps(sums, a, b);
        else c.tdpbusd(sums, a, b);
    }

    private static AssemblerRegisterTMM C(int rowTile, int panel) => (2 * rowTile + panel) switch
    {
        0 => tmm0,
        1 => tmm1,
        2 => tmm2,
        _ => tmm3,
    };
}
