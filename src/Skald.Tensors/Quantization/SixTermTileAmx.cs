using System.Runtime.InteropServices;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The AMX tile of the float32 product from bfloat16 pieces (<see cref="SixTermGemm"/>; twin:
/// <see cref="SixTermTileScalar"/>): 32 × 32 sums a tile, C in tmm0–3, of six <c>tdpbf16ps</c> terms per 32-deep
/// chunk, x1·w1, x1·w2, x1·w3, x2·w1, x2·w2, x3·w1 in that order (<see cref="Terms"/>), from a row block of x's pieces and
/// a panel pair of W's, both laid out by <see cref="SixTermLayout"/> (one 6 KB step a chunk, each 1 KB tile at a fixed
/// displacement, rows 64 bytes apart). One call runs <see cref="Args.Tiles"/> panel pairs against one row block with one
/// <c>ldtilecfg</c> and one <c>tilerelease</c> (the per-call configuration is what made a one-tile call slow); each tile
/// starts from zero or, for a later k block, from the sums already in <see cref="Args.Acc"/>, and is stored there. The
/// term order and the loop are those of bench/amx's <c>Bf16Ceiling</c> (its six-term loop measured 2.1× the FMA
/// micro-kernel, bound by the instruction). System V only (AMX runs on Linux only): rdi the argument block (Tiles is
/// counted down), rax, rcx, rdx, rsi, r8–r11 written, no vector register touched.
/// </summary>
internal static unsafe class SixTermTileAmx
{
    /// <summary>The six (x piece, W piece) terms a chunk, in the order the tile and its twin add them.</summary>
    public static readonly (int X, int W)[] Terms = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)];

    /// <summary>What the code reads through rdi.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Args
    {
        /// <summary>The row block's pieces at the first chunk of the k block.</summary>
        public void* A;

        /// <summary>The first panel pair's pieces at the first chunk of the k block.</summary>
        public void* B;

        /// <summary>32-deep chunks of the k block (at least 1).</summary>
        public long Steps;

        /// <summary>The first tile's 32 × 32 sums; the next tile's 128 bytes further.</summary>
        public float* Acc;

        /// <summary>Bytes from one row of sums to the next.</summary>
        public long LdcBytes;

        /// <summary>Nonzero: each tile starts from the sums at Acc (a later k block), else from zero.</summary>
        public long Accumulate;

        /// <summary>Bytes from one panel pair's pieces to the next.</summary>
        public long PairBytes;

        /// <summary>Panel pairs (tiles) of this call, at least 1; the code counts it down to 0.</summary>
        public long Tiles;
    }

    private static readonly nint Code = AmxState.HasBf16 ? TileAssembler512.Place(Assemble) : 0;

    /// <summary>Whether the process runs AMX-BF16 (<see cref="AmxState.HasBf16"/>) and the code was placed.</summary>
    public static bool IsSupported => Code != 0;

    /// <summary>
    /// Runs <paramref name="args"/> (its Tiles counted down). False, with nothing computed, when the calling thread cannot
    /// run tile instructions (<see cref="AmxState.PrepareThread"/>): the caller then runs the twin.
    /// </summary>
    public static bool Run(Args* args)
    {
        if (Code == 0) throw new PlatformNotSupportedException($"no AMX-BF16 here: {AmxState.Refusal ?? "the CPU lacks it"}");
        if (args->Steps < 1 || args->Tiles < 1) throw new ArgumentOutOfRangeException(nameof(args), "a call takes at least one chunk and one tile");
        if (!AmxState.PrepareThread()) return false;
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)Code)(args);
        return true;
    }

    /// <summary>
    /// Runs <paramref name="args"/> (its Tiles counted down) on the placed <paramref name="code"/> of a tile over
    /// <see cref="Args"/>, or on <paramref name="twin"/> when <paramref name="scalar"/>, when the code was not placed (no
    /// AMX-BF16) or on a thread that cannot run tile instructions (<see cref="AmxState.PrepareThread"/>): the same bits
    /// (<see cref="ThreeTermTileAmx"/>'s and <see cref="HighTileAmx"/>'s run).
    /// </summary>
    internal static void RunOrTwin(nint code, Args* args, bool scalar, delegate*<Args*, void> twin)
    {
        if (args->Steps < 1 || args->Tiles < 1) throw new ArgumentOutOfRangeException(nameof(args), "a call takes at least one chunk and one tile");
        if (scalar || code == 0 || !AmxState.PrepareThread())
        {
            twin(args);
            return;
        }
        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)code)(args);
    }

    /// <summary>
    /// C tmm0–3 from zero, or, when the argument block's Accumulate (rdi + 40) is nonzero, loaded from the 32 × 32 sums
    /// at <paramref name="sums"/> (rows 16–31 at <paramref name="row16"/>, rows <paramref name="ldc"/> bytes apart).
    /// </summary>
    internal static void EmitStartSums(Assembler c, AssemblerRegister64 sums, AssemblerRegister64 row16, AssemblerRegister64 ldc)
    {
        var zero = c.CreateLabel();
        var start = c.CreateLabel();
        c.cmp(__qword_ptr[rdi + 40], 0);
        c.je(zero);
        c.tileloadd(tmm0, __[sums + ldc]);
        c.tileloadd(tmm1, __[sums + ldc + 64]);
        c.tileloadd(tmm2, __[row16 + ldc]);
        c.tileloadd(tmm3, __[row16 + ldc + 64]);
        c.jmp(start);
        c.Label(ref zero);
        c.tilezero(tmm0);
        c.tilezero(tmm1);
        c.tilezero(tmm2);
        c.tilezero(tmm3);
        c.Label(ref start);
    }

    /// <summary>
    /// One chunk's <paramref name="terms"/> (x piece, W piece) into C tmm0–3: x's step at rsi, W's at rdx, r9 = 64, each
    /// piece's two tiles at <see cref="SixTermLayout.Offset"/>; x's tiles (tmm4–5) loaded once per run of terms sharing
    /// an x piece, W's (tmm6–7) per term. bench/amx's tile-loop studies emit theirs with it too.
    /// </summary>
    internal static void EmitTerms(Assembler c, (int X, int W)[] terms)
    {
        int current = -1;
        foreach (var (px, pw) in terms)
        {
            if (px != current)
            {
                c.tileloadd(tmm4, __[rsi + r9 + SixTermLayout.Offset(px, 0)]);
                c.tileloadd(tmm5, __[rsi + r9 + SixTermLayout.Offset(px, 1)]);
                current = px;
            }
            c.tileloadd(tmm6, __[rdx + r9 + SixTermLayout.Offset(pw, 0)]);
            c.tileloadd(tmm7, __[rdx + r9 + SixTermLayout.Offset(pw, 1)]);
            EmitProducts(c);
        }
    }

    /// <summary>One term's four products: C tmm0–3 (rows 0–15 / 16–31 × columns 0–15 / 16–31) += x's tmm4–5 · W's tmm6–7.</summary>
    internal static void EmitProducts(Assembler c)
    {
        c.tdpbf16ps(tmm0, tmm4, tmm6);
        c.tdpbf16ps(tmm1, tmm4, tmm7);
        c.tdpbf16ps(tmm2, tmm5, tmm6);
        c.tdpbf16ps(tmm3, tmm5, tmm7);
    }

    private static byte[] Assemble() => AssembleTiles(c => EmitTerms(c, Terms), SixTermLayout.StepBytes, SixTermLayout.StepBytes);

    // Registers: rdi = args; r10 = the pair's pieces, r11 = its sums, r8 = ldc; per tile rsi = x's pieces and rdx = W's
    // as k goes on, rcx = chunks left, r9 = 64 (a tile's row stride), rax = the sums' row 16.
    /// <summary>
    /// The tile routine over <see cref="Args"/> with <paramref name="chunk"/> emitting one chunk's terms into C tmm0–3 (x's
    /// step at rsi, W's at rdx, r9 = 64), x's steps <paramref name="xStepBytes"/> and W's <paramref name="wStepBytes"/>
    /// apart: this tile's code with its six terms, <see cref="ThreeTermTileAmx"/>'s with its three.
    /// </summary>
    internal static byte[] AssembleTiles(Action<Assembler> chunk, int xStepBytes, int wStepBytes)
    {
        var c = new Assembler(64);
        var config = c.CreateLabel();
        var next = c.CreateLabel();
        var loop = c.CreateLabel();
        c.ldtilecfg(__[config]);
        c.mov(r10, __qword_ptr[rdi + 8]);
        c.mov(r11, __qword_ptr[rdi + 24]);
        c.mov(r8, __qword_ptr[rdi + 32]);
        c.mov(r9d, 64);
        c.Label(ref next);
        c.mov(rax, r8);
        c.shl(rax, 4);
        c.add(rax, r11);
        EmitStartSums(c, r11, rax, r8);
        c.mov(rsi, __qword_ptr[rdi]);
        c.mov(rdx, r10);
        c.mov(rcx, __qword_ptr[rdi + 16]);
        c.Label(ref loop);
        chunk(c);
        c.add(rsi, xStepBytes);
        c.add(rdx, wStepBytes);
        c.dec(rcx);
        c.jnz(loop);
        c.tilestored(__[r11 + r8], tmm0);
        c.tilestored(__[r11 + r8 + 64], tmm1);
        c.tilestored(__[rax + r8], tmm2);
        c.tilestored(__[rax + r8 + 64], tmm3);
        c.add(r10, __qword_ptr[rdi + 48]);
        c.add(r11, 128);
        c.dec(__qword_ptr[rdi + 56]);
        c.jnz(next);
        c.tilerelease();
        c.ret();
        return Int8TileAmx.Finish(c, config);
    }
}
