using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// What the two assembled 512-bit tiles (<see cref="Int8TileVnni512"/>, <see cref="Bf16TileDot512"/>) share: the
/// argument block (<see cref="Args"/>), the loop over k steps of 4 bytes a row and 64 bytes a panel, 8 rows × 1, 2 or
/// (without prefetch) 3 panels of 16 sums stored as rows, the prologue and epilogue that keep to both x64 calling
/// conventions, and the placing of the code in executable pages (<see cref="Memory.ExecutableMemory"/>). Each tile
/// gives only its <see cref="Step"/>: the instructions that add one k step of a row to its sums.
/// <para>
/// Registers (volatile in both the System V and the Windows x64 ABI, plus rbx and rsi, saved): r11 = the argument block,
/// rax = a's rows 0–3, rcx = a's rows 4–7, r8 = lda in bytes, r9 = 3 · lda, rdx and r10 = the two panels, rbx = steps
/// left, rsi = the prefetch distance; zmm16–31 = the sums (row r, panel p in zmm16 + 2r + p), zmm0–1 = a step of each
/// panel; a step may use zmm2–5. xmm6–15, which Windows preserves, are not touched.
/// </para>
/// <para>
/// The three-panel code (8 × 48, 24 sums: the register budget's widest tile with 8 rows, as MLAS's 6 × 48 int8 kernel
/// is 3 zmm wide) has no prefetch: rsi = the third panel; the sums are zmm8–31 (row r, panel p in zmm8 + 3r + p),
/// zmm0–2 a step of each panel, and a step may use zmm3–5. On Windows it saves xmm8–15 below the stack pointer's
/// start (sub rsp) and restores them before its pops.
/// </para>
/// <para>
/// The int8 tile's dequantising variant (<c>dequantize</c>, of 1, 2 or 3 panels, with or without prefetch) ends,
/// instead of storing the int32 sums to <see cref="Args.Acc"/>, with the int8 store's arithmetic on the sum registers
/// and writes floats to the first <see cref="Args.Rows"/> rows of <see cref="Args.Y"/> (the 3-panel code: all 8; registers in
/// <see cref="EmitDequantize"/>; the same registers as the loop, zmm0–5 besides the sums).
/// </para>
/// </summary>
internal static unsafe class TileAssembler512
{
    /// <summary>Rows of a tile (a must hold this many readable rows).</summary>
    public const int Rows = 8;

    /// <summary>
    /// Adds one k step of row <paramref name="row"/> to its sums: <paramref name="at"/> addresses the row's 4 bytes
    /// (size it with a factory, e.g. <c>__dword_ptr[at]</c> or <c>__dword_bcst[at]</c>), panel p's 64 bytes are in zmm0 + p
    /// and its sums in <see cref="Sum(int, int, int)"/>(row, p, panels).
    /// </summary>
    public delegate void Step(Assembler c, int row, AssemblerMemoryOperand at, int panels);

    /// <summary>The argument block the code reads through r11 (one pointer argument: only its register differs between ABIs).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Args
    {
        /// <summary>a, row 0.</summary>
        public void* A;

        /// <summary>Bytes from one row of a to the next.</summary>
        public long LdaBytes;

        /// <summary>The first panel.</summary>
        public void* Panel0;

        /// <summary>The second panel (read only by the two-panel code).</summary>
        public void* Panel1;

        /// <summary>k steps (at least 1).</summary>
        public long Steps;

        /// <summary>The sums, row r at r · <see cref="LdcBytes"/>, panel p 64 bytes further.</summary>
        public void* Acc;

        /// <summary>Bytes from one row of sums to the next.</summary>
        public long LdcBytes;

        /// <summary>Bytes from each panel to the line to prefetch (0: its own, already being read).</summary>
        public long Ahead;

        /// <summary>The third panel (read only by the three-panel code).</summary>
        public void* Panel2;

        /// <summary>The dequantising code's output: y of row 0, column 0 of the tile (floats, row r at r · <see cref="LdyBytes"/>).</summary>
        public void* Y;

        /// <summary>Bytes from one row of y to the next.</summary>
        public long LdyBytes;

        /// <summary>The tile's 8 rows' activation zero points (int32).</summary>
        public void* Zeros;

        /// <summary>The tile's 8 rows' activation scales (float32).</summary>
        public void* RowScales;

        /// <summary>The weight row sums of the tile's columns (int32, 16 a panel).</summary>
        public void* RowSums;

        /// <summary>The weight scales of the tile's columns (float32).</summary>
        public void* WScales;

        /// <summary>The bias of the tile's columns (float32), or null: no add.</summary>
        public void* Bias;

        /// <summary>The 1- and 2-panel dequantising code's rows of y to write (1–8; a decoding step's tile has fewer than 8).</summary>
        public long Rows;
    }

    /// <summary>The sum register of row <paramref name="row"/>, panel <paramref name="panel"/> of the one- and two-panel code.</summary>
    public static AssemblerRegisterZMM Sum(int row, int panel) => Sums[2 * row + panel];

    /// <summary>The sum register of row <paramref name="row"/>, panel <paramref name="panel"/> of the code of <paramref name="panels"/> panels.</summary>
    public static AssemblerRegisterZMM Sum(int row, int panel, int panels) => panels == 3 ? Wide[3 * row + panel] : Sums[2 * row + panel];

    private static readonly AssemblerRegisterZMM[] Wide =
        [zmm8, zmm9, zmm10, zmm11, zmm12, zmm13, zmm14, zmm15, zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23,
         zmm24, zmm25, zmm26, zmm27, zmm28, zmm29, zmm30, zmm31];

    // xmm8-15 as the Windows three-panel code saves them (their low 128 bits are callee-saved there).
    private static readonly AssemblerRegisterXMM[] Saved = [xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];

    private static readonly AssemblerRegisterZMM[] Sums =
        [zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26, zmm27, zmm28, zmm29, zmm30, zmm31];

    /// <summary>A tile's one- and two-panel code placed in executable pages (or not: then <see cref="IsPlaced"/> is false).</summary>
    public readonly struct Placed
    {
        private readonly delegate* unmanaged[SuppressGCTransition]<Args*, void> one, two;

        private Placed(nint one, nint two)
        {
            this.one = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)one;
            this.two = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)two;
        }

        /// <summary>Whether both codes were placed (the CPU has the instructions and the OS gave executable pages).</summary>
        public bool IsPlaced => one != null && two != null;

        /// <summary>
        /// The code <paramref name="assemble"/> makes for 1 and 2 panels, placed when <paramref name="hasInstructions"/>;
        /// not placed where the CPU lacks them or placing fails (the caller keeps its managed path).
        /// </summary>
        public static Placed Create(bool hasInstructions, Func<int, bool, byte[]> assemble) =>
            hasInstructions ? new Placed(Place(assemble, 1), Place(assemble, 2)) : default;

        /// <summary>Runs the code of <paramref name="panels"/> (1 or 2) panels on <paramref name="args"/>.</summary>
        public void Run(Args* args, int panels)
        {
            if (panels == 2) two(args);
            else one(args);
        }

        private static nint Place(Func<int, bool, byte[]> assemble, int panels) =>
            TileAssembler512.Place(() => assemble(panels, OperatingSystem.IsWindows()));
    }

    /// <summary>The code <paramref name="assemble"/> makes placed in executable pages, or 0 where placing fails.</summary>
    public static nint Place(Func<byte[]> assemble)
    {
        try
        {
            return Memory.ExecutableMemory.Place(assemble());
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The machine code of a tile of 1, 2 or 3 panels with <paramref name="step"/>, taking its argument block in rcx
    /// (Windows) or rdi (System V). Without <paramref name="prefetch"/> the loop leaves out its prefetcht0 of each panel
    /// at <see cref="Args.Ahead"/> (which the code then ignores): two load-port instructions a k step that only pay when
    /// a few rows stream every panel once; the three-panel code has none. With <paramref name="unroll"/> 4 the loop runs
    /// four k steps an iteration while four are left, then one at a time.
    /// </summary>
    /// <para>
    /// With <paramref name="dequantize"/> (int32 sums, <see cref="Int8TileVnni512"/>) the code ends by writing y instead
    /// of the sums: <see cref="EmitDequantize"/>.
    /// </para>
    public static byte[] Assemble(int panels, bool windows, Step step, bool prefetch = true, int unroll = 1, bool dequantize = false)
    {
        if (panels is not (1 or 2 or 3)) throw new ArgumentOutOfRangeException(nameof(panels), panels, "a tile has 1, 2 or 3 panels");
        if (panels == 3 && prefetch) throw new ArgumentException("the three-panel code has no prefetch", nameof(prefetch));
        bool save = panels == 3 && windows;
        var c = new Assembler(64);
        c.push(rbx);
        c.push(rsi);
        c.mov(r11, windows ? rcx : rdi);
        if (save)
        {
            c.sub(rsp, 16 * Saved.Length);
            for (int i = 0; i < Saved.Length; i++) c.vmovdqu(__xmmword_ptr[rsp + 16 * i], Saved[i]);
        }
        c.mov(rax, __qword_ptr[r11]);         // a, rows 0-3
        c.mov(r8, __qword_ptr[r11 + 8]);      // lda in bytes
        c.mov(rdx, __qword_ptr[r11 + 16]);    // panel 0
        c.mov(r10, __qword_ptr[r11 + 24]);    // panel 1
        c.mov(rbx, __qword_ptr[r11 + 32]);    // steps
        c.lea(r9, __[r8 + r8 * 2]);           // 3 · lda
        c.lea(rcx, __[rax + r8 * 4]);         // a, rows 4-7
        c.mov(rsi, __qword_ptr[r11 + (panels == 3 ? 64 : 56)]); // panel 2, or the prefetch distance
        for (int r = 0; r < Rows; r++)
        for (int p = 0; p < panels; p++)
            c.vpxord(Sum(r, p, panels), Sum(r, p, panels), Sum(r, p, panels));
        if (unroll == 4)
        {
            // Four k steps an iteration while four are left (displacements instead of pointer updates, one counter
            // update and branch per 4 · Rows · panels products), then the steps left one at a time.
            var loop4 = c.CreateLabel();
            var tail = c.CreateLabel();
            var done = c.CreateLabel();
            c.sub(rbx, 4);
            c.jl(tail);
            c.Label(ref loop4);
            for (int u = 0; u < 4; u++) Body(c, step, panels, prefetch, u);
            c.add(rax, 16);
            c.add(rcx, 16);
            c.add(rdx, 256);
            c.add(r10, 256);
            if (panels == 3) c.add(rsi, 256);
            c.sub(rbx, 4);
            c.jge(loop4);
            c.Label(ref tail);
            c.add(rbx, 4);
            c.jz(done);
            OneStepLoop(c, step, panels, prefetch);
            c.Label(ref done);
        }
        else
        {
            OneStepLoop(c, step, panels, prefetch);
        }
        if (dequantize)
        {
            EmitDequantize(c, panels);
        }
        else
        {
            c.mov(rax, __qword_ptr[r11 + 40]);    // acc
            c.mov(r8, __qword_ptr[r11 + 48]);     // ldc in bytes
            c.lea(r9, __[r8 + r8 * 2]);
            c.lea(rcx, __[rax + r8 * 4]);
            for (int r = 0; r < Rows; r++)
            for (int p = 0; p < panels; p++)
                c.vmovdqu32(__zmmword_ptr[Row(r) + 64 * p], Sum(r, p, panels));
        }
        if (save)
        {
            for (int i = 0; i < Saved.Length; i++) c.vmovdqu(Saved[i], __xmmword_ptr[rsp + 16 * i]);
            c.add(rsp, 16 * Saved.Length);
        }
        c.vzeroupper();
        c.pop(rsi);
        c.pop(rbx);
        c.ret();
        var stream = new MemoryStream();
        c.Assemble(new StreamCodeWriter(stream), 0);
        return stream.ToArray();
    }

    // The int8 store's arithmetic on the sum registers (Int8Gemm.Store's vector branch, the same operations in the same
    // order, so the same bits): y[r, 16p + j] = fma(−zero[r], float(rowsum[j]), float(sum)) · (scale[r] · wscale[j])
    // + bias[j], written to y with no round trip through memory. rdx = zeros, r10 = row scales, rbx = row sums, rsi =
    // weight scales, r11 = bias; zmm0 + p = panel p's row sums as floats, zmm3 = the row's zero point, zmm4 its scale,
    // zmm5 scale · wscale. The 1- and 2-panel codes write rows 0 to Rows − 1 (rax = y's current row, r8 = ldy, rcx =
    // rows left); the 3-panel code all 8 (rax/rcx = y's rows 0–3/4–7, r8 = ldy, r9 = 3 · ldy, addressed by Row as in
    // the loop: what a full tile of a taller block needs, without a count). The fused negative multiply-add,
    // −(zero · rowsum) + sum, rounds once like fma(−zero, rowsum, sum) (negation is exact). No bias: its own copy of the
    // rows without the add (adding zeros would turn −0 into +0).
    private static void EmitDequantize(Assembler c, int panels)
    {
        c.mov(rax, __qword_ptr[r11 + 72]);    // y
        c.mov(r8, __qword_ptr[r11 + 80]);     // ldy in bytes
        if (panels == 3)
        {
            c.lea(r9, __[r8 + r8 * 2]);
            c.lea(rcx, __[rax + r8 * 4]);
        }
        else
        {
            c.mov(rcx, __qword_ptr[r11 + 128]); // rows (1-8)
        }
        c.mov(rdx, __qword_ptr[r11 + 88]);    // zeros
        c.mov(r10, __qword_ptr[r11 + 96]);    // row scales
        c.mov(rbx, __qword_ptr[r11 + 104]);   // row sums
        c.mov(rsi, __qword_ptr[r11 + 112]);   // weight scales
        c.mov(r11, __qword_ptr[r11 + 120]);   // bias (last: r11 is the argument block until here)
        var rs = new[] { zmm0, zmm1, zmm2 };
        for (int p = 0; p < panels; p++) c.vcvtdq2ps(rs[p], __zmmword_ptr[rbx + 64 * p]);
        var noBias = c.CreateLabel();
        var done = c.CreateLabel();
        c.test(r11, r11);
        c.jz(noBias);
        DequantizeRows(c, panels, rs, bias: true, done);
        c.jmp(done);
        c.Label(ref noBias);
        DequantizeRows(c, panels, rs, bias: false, done);
        c.Label(ref done);
    }

    // Each row's panels, then in the 1- and 2-panel codes (rows 0–6) the count of rows left down by one, out to done at
    // zero, and y's next row.
    private static void DequantizeRows(Assembler c, int panels, AssemblerRegisterZMM[] rs, bool bias, Label done)
    {
        for (int r = 0; r < Rows; r++)
        {
            c.vcvtdq2ps(zmm3, __dword_bcst[rdx + 4 * r]);
            c.vbroadcastss(zmm4, __dword_ptr[r10 + 4 * r]);
            for (int p = 0; p < panels; p++)
            {
                var s = Sum(r, p, panels);
                c.vcvtdq2ps(s, s);
                c.vfnmadd231ps(s, zmm3, rs[p]);
                c.vmulps(zmm5, zmm4, __zmmword_ptr[rsi + 64 * p]);
                c.vmulps(s, s, zmm5);
                if (bias) c.vaddps(s, s, __zmmword_ptr[r11 + 64 * p]);
                c.vmovups(__zmmword_ptr[(panels == 3 ? Row(r) : __[rax]) + 64 * p], s);
            }
            if (r == Rows - 1 || panels == 3) continue;
            c.dec(rcx);
            c.jz(done);
            c.add(rax, r8);
        }
    }

    // One k step, u steps after the pointers (rax, rcx: a's rows; rdx, r10: the panels): each panel's 64 bytes, then
    // every row's products.
    // One k step an iteration until the step counter (rbx, at least 1) reaches zero.
    private static void OneStepLoop(Assembler c, Step step, int panels, bool prefetch)
    {
        var loop = c.CreateLabel();
        c.Label(ref loop);
        Body(c, step, panels, prefetch, 0);
        c.add(rax, 4);
        c.add(rcx, 4);
        c.add(rdx, 64);
        c.add(r10, 64);
        if (panels == 3) c.add(rsi, 64);
        c.dec(rbx);
        c.jnz(loop);
    }

    private static void Body(Assembler c, Step step, int panels, bool prefetch, int u)
    {
        if (prefetch)
        {
            c.prefetcht0(__[rdx + rsi + 64 * u]);
            if (panels == 2) c.prefetcht0(__[r10 + rsi + 64 * u]);
        }
        c.vmovdqu32(zmm0, __zmmword_ptr[rdx + 64 * u]);
        if (panels >= 2) c.vmovdqu32(zmm1, __zmmword_ptr[r10 + 64 * u]);
        if (panels == 3) c.vmovdqu32(zmm2, __zmmword_ptr[rsi + 64 * u]);
        for (int r = 0; r < Rows; r++) step(c, r, Row(r) + 4 * u, panels);
    }

    // Row r of a (in the loop) or of the sums (after it): rax + {0, 1, 2, 3}·r8 for rows 0-3, rcx + … for rows 4-7.
    private static AssemblerMemoryOperand Row(int r)
    {
        var b = r < 4 ? rax : rcx;
        return (r % 4) switch { 0 => __[b], 1 => __[b + r8], 2 => __[b + r8 * 2], _ => __[b + r9] };
    }
}
