using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using Bf16 = Skald.Tensors.Kernels.Bf16;

// A float32 GEMM from bfloat16 pieces at the GEMM level (`--six-term-gemm`), one thread: y = x · Wᵀ with W split
// into three bfloat16 pieces once and x per call (vectorised, the cost included), both packed as Bf16Ceiling's tile
// loop reads them (per 32-row block or panel pair and 32-deep chunk, [piece][row tile or panel] 1 KB tiles: one
// pointer each, fixed displacements, stride 64), and 32 × 32 tiles of six tdpbf16ps terms (x1w1,
// x1w2, x1w3, x2w1, x2w2, x3w1) a 32-deep chunk, stored by the tile straight into y (M and N multiples of 32 here);
// a row block sweeps 16 panels at a time, k in blocks of 384, 768 or all of it (a later block loads y's sums back
// into its C tiles), so W's pieces of a sweep stay in L2. Against Skald's packed float32 GEMM
// (Blas.SgemmPacked, the FMA kernels) and the one-term bfloat16 product (Bf16Gemm.Linear, AMX) on the same thread;
// GFLOP/s of float32 work (2·M·N·K) per CPU s, and each result's max error against float64 in u = 2^-24 of Σ|x·w|.
internal static unsafe class SixTermGemm
{
    // Bf16Ceiling's tile loop of six terms over blocks packed per 32-deep chunk as [piece][row tile or panel][1 KB].
    private const int ChunkBytes = 6 * 1024;
    private static readonly nint Code = TileAssembler512.Place(() => Bf16Ceiling.Assemble(Bf16Ceiling.Six, ChunkBytes, ChunkBytes, configEach: true));

    // Panels a run of row blocks sweeps before the next run (their three pieces stay in L2: 8 · 16 · K · 6 bytes).
    private static int Group = 16;

    // The deepest k block a sweep takes.
    private static int Kc = 768;

    // The 1 KB tile (16 rows or pair-rows × 64 bytes) of piece s of row tile (or panel) h, 32-deep chunk c of row
    // block (or panel pair) b, in a layout of `chunks` chunks: [b][c][s][h].
    private static long Tile(long b, int c, int s, int h, int chunks) => (((b * chunks + c) * 3 + s) * 2 + h) * 512;

    // x [m, k] = p0 + p1 + p2 in bfloat16 (each to nearest even), 16 values at a time, packed as the tile loop reads
    // them; m and k multiples of 32, NaN not handled (a benchmark).
    private static void Split(float* x, ushort* pieces, int m, int k)
    {
        int chunks = k / 32;
        for (int i = 0; i < m; i++)
        for (int t = 0; t < k; t += 16)
        {
            var rest = Vector512.Load(x + (long)i * k + t);
            for (int s = 0; s < 3; s++)
            {
                var u = rest.AsUInt32();
                u += Vector512.Create(0x7FFFu) + ((u >> 16) & Vector512.Create(1u));
                var hi = u & Vector512.Create(0xFFFF0000u);
                Vector256.Narrow((hi >> 16).GetLower(), (hi >> 16).GetUpper())
                    .Store(pieces + Tile(i / 32, t / 32, s, i % 32 / 16, chunks) + i % 16 * 32 + t % 32);
                rest -= hi.AsSingle();
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
        int chunks = k / 32;
        var wp = (ushort*)NativeMemory.AlignedAlloc((nuint)(3L * n * k * 2), 64);
        for (int j = 0; j < n; j++)
        for (int t = 0; t < k; t++)
        {
            float rest = w[j * k + t];
            for (int s = 0; s < 3; s++)
            {
                ushort b = Bf16.FromSingle(rest);
                wp[Tile(j / 32, t / 32, s, j % 32 / 16, chunks) + t % 32 / 2 * 32 + j % 16 * 2 + (t & 1)] = b;
                rest -= Bf16.ToSingle(b);
            }
        }
        var xp = (ushort*)NativeMemory.AlignedAlloc((nuint)(3L * m * k * 2), 64);
        var args = (Bf16Ceiling.Args*)NativeMemory.Alloc((nuint)sizeof(Bf16Ceiling.Args));
        var y6 = new float[m * n];
        var yf = new float[m * n];
        var y1 = new float[m * n];
        if (!AmxState.PrepareThread()) throw new InvalidOperationException("thread refused");
        fixed (float* px = x, py = y6)
        {
            float* cx = px, cy = py;
            void Six()
            {
                Split(cx, xp, m, k);
                // k blocks of at most Kc (W's pieces of a sweep stay in L2), the sums stored by the tile straight
                // into y and read back by the next k block.
                *args = new Bf16Ceiling.Args { LdcBytes = n * 4L };
                for (int kb = 0; kb < k; kb += Kc)
                {
                    args->Steps = Math.Min(Kc, k - kb) / 32;
                    args->Accumulate = kb;
                    for (int q0 = 0; q0 < n / 32; q0 += Group / 2)
                    for (int r = 0; r < m; r += 32)
                    for (int q = q0; q < Math.Min(n / 32, q0 + Group / 2); q++)
                    {
                        args->A = xp + Tile(r / 32, kb / 32, 0, 0, chunks);
                        args->B = wp + Tile(q, kb / 32, 0, 0, chunks);
                        args->Acc = cy + (long)r * n + 32 * q;
                        ((delegate* unmanaged[SuppressGCTransition]<Bf16Ceiling.Args*, void>)Code)(args);
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
}
