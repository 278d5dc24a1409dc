using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Iced.Intel;
using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using static Iced.Intel.AssemblerRegisters;
using Bf16 = Skald.Tensors.Kernels.Bf16;

// A float32 GEMM from bfloat16 pieces at the GEMM level (`--six-term-gemm`), one thread: y = x · Wᵀ with W split
// into three bfloat16 piece matrices once (Bf16Matrix panel layout, one allocation, pieces PaddedN · K apart), x split
// into three row-major piece buffers per call (the cost included), and 32 × 32 tiles of six tdpbf16ps terms (x1w1,
// x1w2, x1w3, x2w1, x2w2, x3w1) a 32-deep chunk, stored by the tile straight into y (M and N multiples of 32 here);
// a row block sweeps 16 panels at a time, k in blocks of 384, 768 or all of it (a later block loads y's sums back
// into its C tiles), so W's pieces of a sweep stay in L2. Against Skald's packed float32 GEMM
// (Blas.SgemmPacked, the FMA kernels) and the one-term bfloat16 product (Bf16Gemm.Linear, AMX) on the same thread;
// GFLOP/s of float32 work (2·M·N·K) per CPU s, and each result's max error against float64 in u = 2^-24 of Σ|x·w|.
internal static unsafe class SixTermGemm
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Args
    {
        public void* A;          // 0: piece 0 of x, row 0
        public long LdaBytes;    // 8
        public long PieceA;      // 16: bytes from one piece of x to the next
        public void* Panel;      // 24: piece 0 of the first panel of the pair
        public long PanelStride; // 32: bytes to the pair's second panel
        public long PieceB;      // 40: bytes from one piece of W to the next
        public long Chunks;      // 48
        public float* Acc;       // 56
        public long LdcBytes;    // 64
        public long Accumulate;  // 72: nonzero: the sums start from Acc's (a later k block), else from zero
    }

    private static readonly nint Code = TileAssembler512.Place(Assemble);

    // Panels a run of row blocks sweeps before the next run (their three pieces stay in L2: 8 · 16 · K · 6 bytes).
    private static int Group = 16;

    // The deepest k block a sweep takes.
    private static int Kc = 768;

    // x = p0 + p1 + p2 in bfloat16 (each to nearest even), 16 values at a time; NaN is not handled (a benchmark).
    private static void Split(float* x, ushort* pieces, long count)
    {
        long i = 0;
        for (; i + 16 <= count; i += 16)
        {
            var rest = System.Runtime.Intrinsics.Vector512.Load(x + i);
            for (int s = 0; s < 3; s++)
            {
                var u = rest.AsUInt32();
                u += System.Runtime.Intrinsics.Vector512.Create(0x7FFFu) + ((u >> 16) & System.Runtime.Intrinsics.Vector512.Create(1u));
                var hi = u & System.Runtime.Intrinsics.Vector512.Create(0xFFFF0000u);
                var narrow = Vector256.Narrow((hi >> 16).GetLower(), (hi >> 16).GetUpper());
                narrow.Store(pieces + s * count + i);
                rest -= hi.AsSingle();
            }
        }
        for (; i < count; i++)
        {
            float rest = x[i];
            for (int s = 0; s < 3; s++)
            {
                ushort b = Bf16.FromSingle(rest);
                pieces[s * count + i] = b;
                rest -= Bf16.ToSingle(b);
            }
        }
    }

    public static void Run()
    {
        Console.WriteLine("six-term GEMM (one thread), float32 GFLOP/s per CPU s; max error vs float64 in u of sum|x w|");
        int saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 1;
        try
        {
            foreach (int kc in new[] { 384, 768, 100_000 })
            foreach (var (m, n, k) in new[] { (1024, 1152, 384), (1024, 1536, 384), (1024, 384, 1536), (1024, 768, 768), (1024, 3072, 768), (1024, 768, 3072) })
            {
                Kc = kc;
                Shape(m, n, k);
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    private static void Shape(int m, int n, int k)
    {
        var rng = new Random(m + n + k);
        var x = new float[m * k];
        var w = new float[n * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * 0.05);
        var packed = Blas.Pack(true, k, n, w, k);
        var one = Bf16Matrix.FromSingle(w, n, k);
        int np = (n + 15) / 16 * 16;
        long pieceValues = (long)np * k;
        var wp = (ushort*)NativeMemory.AlignedAlloc((nuint)(3 * pieceValues * 2), 64);
        new Span<ushort>(wp, (int)(3 * pieceValues)).Clear();
        for (int j = 0; j < n; j++)
        for (int t = 0; t < k; t++)
        {
            float rest = w[j * k + t];
            for (int s = 0; s < 3; s++)
            {
                ushort b = Bf16.FromSingle(rest);
                wp[s * pieceValues + (j / 16) * k * 16 + (t / 2) * 32 + (j % 16) * 2 + (t & 1)] = b;
                rest -= Bf16.ToSingle(b);
            }
        }
        var xp = (ushort*)NativeMemory.AlignedAlloc((nuint)(3L * m * k * 2), 64);
        var args = (Args*)NativeMemory.Alloc((nuint)sizeof(Args));
        var y6 = new float[m * n];
        var yf = new float[m * n];
        var y1 = new float[m * n];
        if (!AmxState.PrepareThread()) throw new InvalidOperationException("thread refused");
        fixed (float* px = x, py = y6)
        {
            float* cx = px, cy = py;
            void Six()
            {
                Split(cx, xp, (long)m * k);
                // k blocks of at most Kc (W's pieces of a 16-panel sweep stay in L2), the sums stored by the tile
                // straight into y and read back by the next k block.
                *args = new Args { LdaBytes = k * 2L, PieceA = (long)m * k * 2, PanelStride = (long)k * 16 * 2, PieceB = pieceValues * 2, LdcBytes = n * 4L };
                for (int kb = 0; kb < k; kb += Kc)
                {
                    args->Chunks = Math.Min(Kc, k - kb) / 32;
                    args->Accumulate = kb;
                    for (int p0 = 0; p0 < np / 16; p0 += Group)
                    for (int r = 0; r < m; r += 32)
                    for (int p = p0; p < Math.Min(np / 16, p0 + Group); p += 2)
                    {
                        args->A = xp + (long)r * k + kb;
                        args->Panel = wp + (long)p * k * 16 + kb * 16;
                        args->Acc = cy + (long)r * n + 16 * p;
                        ((delegate* unmanaged[SuppressGCTransition]<Args*, void>)Code)(args);
                    }
                }
            }
            double flops = 2.0 * m * n * k;
            double fma = Time(() => Blas.SgemmPacked(false, true, m, n, k, 1f, x, k, w, k, packed, 0f, yf, n), flops);
            double six = Time(Six, flops);
            double bf16 = Time(() => Bf16Gemm.Linear(x, one, [], y1, m), flops);
            Console.WriteLine($"  {m}×{n}×{k}, k blocks of {Math.Min(Kc, k)}: FMA {fma:F0}, six terms {six:F0} ({six / fma:F2}×), bf16 one term {bf16:F0} GFLOP/s; "
                + $"max error FMA {MaxError(x, w, yf, m, n, k):F2} u, six terms {MaxError(x, w, y6, m, n, k):F2} u");
        }
        NativeMemory.AlignedFree(wp);
        NativeMemory.AlignedFree(xp);
        NativeMemory.Free(args);
    }

    private static double MaxError(float[] x, float[] w, float[] y, int m, int n, int k)
    {
        double max = 0;
        for (int i = 0; i < m; i += 37)
        for (int j = 0; j < n; j += 7)
        {
            double s = 0, a = 0;
            for (int t = 0; t < k; t++) { double p = (double)x[i * k + t] * w[j * k + t]; s += p; a += Math.Abs(p); }
            max = Math.Max(max, Math.Abs(y[i * n + j] - s) / a / Math.Pow(2, -24));
        }
        return max;
    }

    private static double Time(Action run, double flops) => CpuTimer.Best(run, flops, 1);

    // rdi = args; rsi, r11 = x's rows 0–15 and 16–31 (piece 0), rdx, r10 = the pair's panels (piece 0), r8 = lda,
    // r9 = 64, rax = x's piece stride, rcx = chunks. Each chunk: x piece 0 against W pieces 0, 1, 2; x piece 1
    // against W pieces 0, 1; x piece 2 against W piece 0.
    private static byte[] Assemble()
    {
        var c = new Assembler(64);
        var config = c.CreateLabel();
        var loop = c.CreateLabel();
        c.ldtilecfg(__[config]);
        c.mov(rsi, __qword_ptr[rdi]);
        c.mov(r8, __qword_ptr[rdi + 8]);
        c.mov(rax, __qword_ptr[rdi + 16]);
        c.mov(rdx, __qword_ptr[rdi + 24]);
        c.mov(r10, __qword_ptr[rdi + 32]);
        c.add(r10, rdx);
        c.mov(rcx, __qword_ptr[rdi + 48]);
        c.mov(r9d, 64);
        c.mov(r11, r8);
        c.shl(r11, 4);
        c.add(r11, rsi);
        var zero = c.CreateLabel();
        var start = c.CreateLabel();
        c.cmp(__qword_ptr[rdi + 72], 0);
        c.je(zero);
        c.mov(rax, __qword_ptr[rdi + 56]);
        c.mov(r9, __qword_ptr[rdi + 64]);
        c.tileloadd(tmm0, __[rax + r9]);
        c.tileloadd(tmm1, __[rax + r9 + 64]);
        c.shl(r9, 4);
        c.add(rax, r9);
        c.shr(r9, 4);
        c.tileloadd(tmm2, __[rax + r9]);
        c.tileloadd(tmm3, __[rax + r9 + 64]);
        c.jmp(start);
        c.Label(ref zero);
        c.tilezero(tmm0);
        c.tilezero(tmm1);
        c.tilezero(tmm2);
        c.tilezero(tmm3);
        c.Label(ref start);
        c.mov(rax, __qword_ptr[rdi + 16]);
        c.mov(r9d, 64);
        c.Label(ref loop);
        for (int pa = 0; pa < 3; pa++)
        {
            c.tileloadd(tmm4, __[rsi + r8]);
            c.tileloadd(tmm5, __[r11 + r8]);
            for (int pb = 0; pb < 3 - pa; pb++)
            {
                c.tileloadd(tmm6, __[rdx + r9]);
                c.tileloadd(tmm7, __[r10 + r9]);
                c.tdpbf16ps(tmm0, tmm4, tmm6);
                c.tdpbf16ps(tmm1, tmm4, tmm7);
                c.tdpbf16ps(tmm2, tmm5, tmm6);
                c.tdpbf16ps(tmm3, tmm5, tmm7);
                if (pb < 2 - pa)
                {
                    c.add(rdx, __qword_ptr[rdi + 40]);
                    c.add(r10, __qword_ptr[rdi + 40]);
                }
            }
            for (int back = 0; back < 2 - pa; back++)
            {
                c.sub(rdx, __qword_ptr[rdi + 40]);
                c.sub(r10, __qword_ptr[rdi + 40]);
            }
            if (pa < 2)
            {
                c.add(rsi, rax);
                c.add(r11, rax);
            }
        }
        for (int back = 0; back < 2; back++)
        {
            c.sub(rsi, rax); // x's rows back at piece 0
            c.sub(r11, rax);
        }
        c.add(rsi, 64);
        c.add(r11, 64);
        c.add(rdx, 1024);
        c.add(r10, 1024);
        c.dec(rcx);
        c.jnz(loop);
        Bf16Ceiling.StoreSums(c, 56, 64);
        c.tilerelease();
        c.ret();
        return Int8TileAmx.Finish(c, config);
    }
}
