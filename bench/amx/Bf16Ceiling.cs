using System.Runtime.InteropServices;
using Iced.Intel;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using static Iced.Intel.AssemblerRegisters;

// The ceiling of a float32 product formed from bfloat16 pieces on AMX (`--bf16-ceiling`): the tdpbf16ps tile loop
// alone, 32 × 32 sums (C tiles tmm0–3), A and B packed per 32-deep k step as [piece][row tile or panel][16 rows ×
// 64 B], so one pointer each walks on by a step's bytes and every tile is at a fixed displacement, stride 64. Terms
// (a, b) run grouped by A piece: the two A tiles of a piece loaded once (tmm4–5), each B piece's two tiles (tmm6–7)
// loaded per term. Throughput in float32 GFLOP/s per CPU second (useful FLOPs, 2·32·32·K a call, not 2·terms·…),
// against the 512-bit FMA micro-kernel (MicroKernels.Kernel12x32V512) in the same run.
internal static unsafe class Bf16Ceiling
{
    private const int StepBytes = 1024; // one tile: 16 rows × 64 bytes (32 bfloat16 of k per row, or 16 pairs × 16 columns)

    /// <summary>What the tile loop reads through rdi.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Args
    {
        public void* A;          // 0: packed A, the first step's block
        public void* B;          // 8: packed B, the first step's block
        public long Steps;       // 16: 32-deep k steps
        public float* Acc;       // 24: the 32 × 32 sums
        public long LdcBytes;    // 32
        public long Accumulate;  // 40: nonzero: the sums start from Acc's (a later k block), else from zero
    }

    private static readonly (int A, int B)[] One = [(0, 0)];
    internal static readonly (int A, int B)[] Six = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)];
    private static readonly (int A, int B)[] Five = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)];
    private static readonly (int A, int B)[] Nine = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)];

    public static void Run()
    {
        Console.WriteLine("bf16 ceiling: tdpbf16ps tile loops, 32×32 sums a call, float32 GFLOP/s per CPU s (2·M·N·K useful)");
        FmaPeak();
        foreach (var (name, terms, pa, pb) in new[] { ("1 term", One, 1, 1), ("6 terms", Six, 3, 3), ("5 terms (B 2 pieces)", Five, 3, 2), ("9 terms", Nine, 3, 3) })
        foreach (int k in new[] { 64, 256, 768, 3072 })
        foreach (bool configEach in new[] { true, false })
        {
            if (!configEach && k != 768 && k != 64) continue;
            Measure(name, terms, pa, pb, k, configEach);
        }
    }

    private static void FmaPeak()
    {
        const int kc = 256;
        var a = new float[MicroKernels.MR512 * kc];
        var b = new float[kc * 32];
        var c = new float[MicroKernels.MR512 * 32];
        new Random(1).NextBytes(MemoryMarshal.AsBytes(a.AsSpan()));
        for (int i = 0; i < a.Length; i++) a[i] = 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = 0.25f;
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* ca = pa, cb = pb, cc = pc;
            Time("FMA 12×32 micro-kernel, kc=256 (L1)", 2.0 * MicroKernels.MR512 * 32 * kc, () => MicroKernels.Kernel12x32V512(kc, ca, cb, cc, 32, 0f));
        }
    }

    private static void Measure(string name, (int A, int B)[] terms, int piecesA, int piecesB, int k, bool configEach)
    {
        int steps = k / 32;
        long aStep = piecesA * 2 * StepBytes, bStep = piecesB * 2 * StepBytes;
        nint code = TileAssembler512.Place(() => Assemble(terms, aStep, bStep, configEach));
        nint cfg = TileAssembler512.Place(() => Assemble([], 0, 0, true, configOnly: true));
        nint rel = TileAssembler512.Place(() => Release());
        if (code == 0 || cfg == 0 || rel == 0) throw new InvalidOperationException("code not placed");
        var a = (ushort*)NativeMemory.AlignedAlloc((nuint)(aStep * steps), 64);
        var b = (ushort*)NativeMemory.AlignedAlloc((nuint)(bStep * steps), 64);
        var acc = (float*)NativeMemory.AlignedAlloc(32 * 32 * 4, 64);
        var rng = new Random(3);
        for (long i = 0; i < aStep * steps / 2; i++) a[i] = (ushort)(0x3f00 + rng.Next(256));
        for (long i = 0; i < bStep * steps / 2; i++) b[i] = (ushort)(0x3c00 + rng.Next(256));
        var args = (Args*)NativeMemory.Alloc((nuint)sizeof(Args));
        *args = new Args { A = a, B = b, Steps = steps, Acc = acc, LdcBytes = 32 * 4 };
        var run = (delegate* unmanaged[SuppressGCTransition]<Args*, void>)code;
        if (!AmxState.PrepareThread()) throw new InvalidOperationException("thread refused");
        if (!configEach) ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)cfg)(args);
        Time($"{name}, K={k} ({(aStep + bStep) * steps / 1024} KB), config {(configEach ? "per call" : "once")}", 2.0 * 32 * 32 * k, () => run(args));
        if (!configEach) ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)rel)(args);
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(acc);
        NativeMemory.Free(args);
    }

    // rdi = args; rsi = A, rdx = B (each step's block), r9 = 64, rcx = steps, rax = sums, r8 = ldc.
    internal static byte[] Assemble((int A, int B)[] terms, long aStep, long bStep, bool configEach, bool configOnly = false)
    {
        var c = new Assembler(64);
        var config = c.CreateLabel();
        var loop = c.CreateLabel();
        if (configEach || configOnly) c.ldtilecfg(__[config]);
        if (configOnly)
        {
            c.ret();
        }
        else
        {
            c.mov(rsi, __qword_ptr[rdi]);
            c.mov(rdx, __qword_ptr[rdi + 8]);
            c.mov(rcx, __qword_ptr[rdi + 16]);
            c.mov(rax, __qword_ptr[rdi + 24]);
            c.mov(r8, __qword_ptr[rdi + 32]);
            c.mov(r9, r8);
            c.shl(r9, 4);
            c.add(r9, rax);
            SixTermTileAmx.EmitStartSums(c, rax, r9, r8); // the engine's: zero, or a later k block's sums loaded back
            c.mov(r9d, 64);
            c.Label(ref loop);
            SixTermTileAmx.EmitTerms(c, terms); // the engine's term loop (the same 1 KB tiles at the same displacements)
            c.add(rsi, (int)aStep);
            c.add(rdx, (int)bStep);
            c.dec(rcx);
            c.jnz(loop);
            StoreSums(c, 24, 32);
            if (configEach) c.tilerelease();
            c.ret();
        }
        return Int8TileAmx.Finish(c, config);
    }

    /// <summary>
    /// Stores C tiles tmm0–3 as 32 × 32 float32 sums (tmm 2r + p at row tile r, panel p) at the address in the argument
    /// block at <paramref name="acc"/>, rows the bytes at <paramref name="ldc"/> apart; writes rax, rsi and r8.
    /// </summary>
    internal static void StoreSums(Assembler c, int acc, int ldc)
    {
        c.mov(rax, __qword_ptr[rdi + acc]);
        c.mov(r8, __qword_ptr[rdi + ldc]);
        c.tilestored(__[rax + r8], tmm0);
        c.tilestored(__[rax + r8 + 64], tmm1);
        c.mov(rsi, r8);
        c.shl(rsi, 4);
        c.add(rax, rsi);
        c.tilestored(__[rax + r8], tmm2);
        c.tilestored(__[rax + r8 + 64], tmm3);
    }

    private static byte[] Release()
    {
        var c = new Assembler(64);
        var unused = c.CreateLabel();
        c.tilerelease();
        c.ret();
        return Int8TileAmx.Finish(c, unused);
    }

    private static void Time(string what, double flops, Action run) =>
        Console.WriteLine($"  {what}: {CpuTimer.Best(run, flops, 100):F0} GFLOP/s per CPU s");
}
