using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Skald.Tensors.Memory;
using Skald.Tensors.Quantization;

// Can Skald run Intel AMX from C#? The probe reports what the CPU and Linux say (CPUID leaf 7 AMX bits, leaf 13's
// XSAVE sizes, AT_MINSIGSTKSZ, the alternate signal stack the .NET runtime gave this thread), asks for the tile state
// (AmxState: arch_prctl ARCH_REQ_XCOMP_PERM through syscall), checks the assembled tile (Int8TileAmx) against the
// scalar twin on random codes, times it against the 512-bit VNNI tile (tile only, one thread, GOP/s per CPU second),
// and with --stress S runs S seconds of the tile on 4 threads, each checking its sums every call and, between calls,
// taking a NullReferenceException (a SIGSEGV the runtime handles on the alternate stack) and a DivideByZeroException,
// while another thread forces full garbage collections (each suspends the tile threads with signals, often
// mid-tile) and a third starts and joins short threads. --keep-runtime-stack leaves the runtime's alternate stacks
// as they are (AmxState.EnlargeSignalStacks off): the case PrepareThread exists for; --no-exceptions leaves the
// exceptions out (signals from the collections and thread starts alone).
// The bfloat16 studies, each alone: --bf16-ceiling (Bf16Ceiling: tdpbf16ps tile loops of 1, 5, 6 and 9 bfloat16-piece
// terms against the FMA micro-kernel), --bf16-twin (Bf16TwinProbe: tdpbf16ps's summation order), --bf16-accuracy
// (Bf16Accuracy: pieces against float64), --six-term-gemm (SixTermGemm: a float32 GEMM from six terms, one thread),
// --six-term-engine (SixTermEngine: the engine's six-term Linear against the FMA kernels on the engine's threads),
// --bf16-rows (Bf16Rows: --quantize bf16's product at 1 to 64 rows).
// Usage: dotnet run -c Release --project bench/amx -- [--stress 20] [--keep-runtime-stack] [--no-exceptions] [--k 768]
//        [--bf16-ceiling | --bf16-twin | --bf16-accuracy | --six-term-gemm | --six-term-engine | --bf16-rows]
int stress = 0, depth = 768;
bool exceptions = true;
string? mode = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--stress") stress = int.Parse(args[++i]);
    else if (args[i] == "--keep-runtime-stack") AmxState.EnlargeSignalStacks = false;
    else if (args[i] == "--k") depth = int.Parse(args[++i]);
    else if (args[i] == "--no-exceptions") exceptions = false;
    else if (args[i] is "--bf16-ceiling" or "--bf16-twin" or "--bf16-accuracy" or "--six-term-gemm" or "--six-term-engine" or "--bf16-rows") mode = args[i];
}

Probe.Report();
if (mode == "--bf16-rows")
{
    Bf16Rows.Run(); // on either tile: SKALD_AMX=0 for vdpbf16ps
    return;
}
if (!Int8TileAmx.IsSupported)
{
    Console.WriteLine($"no AMX: {AmxState.Refusal}");
    return;
}
Action? bf16 = mode switch
{
    "--bf16-ceiling" => Bf16Ceiling.Run,
    "--bf16-twin" => Bf16TwinProbe.Run,
    "--bf16-accuracy" => Bf16Accuracy.Run,
    "--six-term-gemm" => SixTermGemm.Run,
    "--six-term-engine" => SixTermEngine.Run,
    _ => null,
};
if (bf16 != null)
{
    bf16();
    return;
}
Probe.Parity();
Probe.Speed(depth);
if (stress > 0) Probe.Stress(stress, depth, exceptions);

internal static unsafe class Probe
{
    private const int RowsMax = 2 * Int8TileAmx.Rows, Panels = 2 * Int8TileAmx.MaxPairs, Ldc = Panels * Int8Matrix.PanelWidth;

    public static void Report()
    {
        var (_, _, _, edx7) = X86Base.CpuId(7, 0);
        var (_, ebx13, ecx13, _) = X86Base.CpuId(13, 0);
        Console.WriteLine($"cpuid 7: amx-bf16 {Bit(edx7, 22)}, amx-tile {Bit(edx7, 24)}, amx-int8 {Bit(edx7, 25)}");
        Console.WriteLine($"cpuid 13: XSAVE area of the enabled components {ebx13} B, of all supported {ecx13} B; tile data {X86Base.CpuId(13, 18).Eax} B");
        Console.WriteLine($"AT_MINSIGSTKSZ {Libc.GetAuxVal(51)} B; signal frame with AMX state (as AmxState reckons) {AmxState.FrameBytes()} B");
        Console.WriteLine($"main thread's alternate signal stack: {Stack()}");
        Console.WriteLine($"AMX: {AmxState.Refusal ?? "granted"}; tile code placed: {Int8TileAmx.IsSupported}; AVX512-VNNI tile: {Int8Gemm.IsSupported(Int8Kernel.Avx512Vnni)}");
    }

    public static string Stack()
    {
        Libc.SignalStack s;
        return Libc.SigAltStack(null, &s) != 0 ? "(sigaltstack failed)" : $"{s.Size} B at 0x{s.Base:x}, flags {s.Flags}";
    }

    private static int Bit(int v, int b) => (v >> b) & 1;

    // Random codes and weights (every byte value), the AMX tile of every shape against Int8TileScalar (4 × 16 at a time).
    public static void Parity()
    {
        var rng = new Random(5);
        int checks = 0;
        foreach (int chunks in new[] { 1, 2, 7, 12 })
        foreach (int rowTiles in new[] { 1, 2 })
        foreach (int panels in new[] { 1, 2, 3, 8 })
        {
            var (a, w, lda, panelBytes) = Data(rng, chunks);
            var fast = new int[RowsMax * Ldc];
            var twin = Expected(a, w, lda, panelBytes, chunks);
            fixed (byte* pa = a)
            fixed (sbyte* pw = w)
            fixed (int* pf = fast)
            {
                if (!Int8TileAmx.Tile(pa, lda, pw, panelBytes, rowTiles, panels, chunks, pf, Ldc)) throw new InvalidOperationException("thread refused");
            }
            for (int r = 0; r < 16 * rowTiles; r++)
            for (int c = 0; c < 16 * panels; c++, checks++)
                if (fast[r * Ldc + c] != twin[r * Ldc + c])
                    throw new InvalidOperationException($"AMX tile differs: chunks {chunks}, {rowTiles}×{panels}, row {r}, column {c}: {fast[r * Ldc + c]} vs {twin[r * Ldc + c]}");
        }
        Console.WriteLine($"parity: {checks} sums equal to the scalar twin's");
        Console.WriteLine($"this thread's alternate signal stack after its first tile: {Stack()}");
    }

    private static (byte[] A, sbyte[] W, int Lda, long PanelBytes) Data(Random rng, int chunks)
    {
        int k = chunks * Int8TileAmx.Depth, lda = k + 32;
        var a = new byte[RowsMax * lda];
        var w = new sbyte[Panels * k * Int8Matrix.PanelWidth];
        rng.NextBytes(a);
        rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
        return (a, w, lda, (long)k * Int8Matrix.PanelWidth);
    }

    private static int[] Expected(byte[] a, sbyte[] w, int lda, long panelBytes, int chunks)
    {
        int groups = chunks * Int8TileAmx.Depth / Int8Matrix.GroupDepth;
        var twin = new int[RowsMax * Ldc];
        var t = new int[Int8Gemm.TileRows * Int8Matrix.PanelWidth];
        fixed (byte* pa = a)
        fixed (sbyte* pw = w)
        fixed (int* pt = t)
        {
            for (int p = 0; p < Panels; p++)
            for (int r0 = 0; r0 < RowsMax; r0 += Int8Gemm.TileRows)
            {
                Int8TileScalar.Tile(pa + r0 * lda, lda, pw + p * panelBytes, groups, pt);
                for (int r = 0; r < Int8Gemm.TileRows; r++)
                for (int c = 0; c < Int8Matrix.PanelWidth; c++)
                    twin[(r0 + r) * Ldc + p * Int8Matrix.PanelWidth + c] = t[r * Int8Matrix.PanelWidth + c];
            }
        }
        return twin;
    }

    // Tile-only throughput on one thread: the 32 × 32 AMX tile over K, and the 512-bit VNNI 8 × 48 and 8 × 32 tiles
    // over the same 32 rows and as many columns (GOP/s per CPU second); then the AMX tile over one chunk (what the
    // per-call ldtilecfg and tilerelease cost shows there).
    public static void Speed(int k)
    {
        int chunks = k / Int8TileAmx.Depth, groups = k / Int8Matrix.GroupDepth;
        var (a, w, lda, panelBytes) = Data(new Random(9), chunks);
        var w3 = new sbyte[3 * k * Int8Matrix.PanelWidth];
        var acc = new int[RowsMax * Ldc];
        fixed (byte* pa = a)
        fixed (sbyte* pw = w, pw3 = w3)
        fixed (int* pc = acc)
        {
            byte* ca = pa;
            sbyte* cw = pw, cw3 = pw3;
            int* cc = pc;
            Time($"AMX 32×32, K={k}", 2.0 * 32 * 32 * k, () => Int8TileAmx.Tile(ca, lda, cw, panelBytes, 2, 2, chunks, cc, Ldc));
            Time($"AMX 32×128 (4 pairs a call), K={k}", 2.0 * 32 * 128 * k, () => Int8TileAmx.Tile(ca, lda, cw, panelBytes, 2, 8, chunks, cc, Ldc));
            Time($"AMX 32×32, K=64 (one chunk: config and release per 4 tdpbusd)", 2.0 * 32 * 32 * 64,
                () => Int8TileAmx.Tile(ca, lda, cw, panelBytes, 2, 2, 1, cc, Ldc));
            Time($"AMX 16×32, K={k}", 2.0 * 16 * 32 * k, () => Int8TileAmx.Tile(ca, lda, cw, panelBytes, 1, 2, chunks, cc, Ldc));
            if (!Int8Gemm.IsSupported(Int8Kernel.Avx512Vnni)) return;
            long pb3 = (long)k * Int8Matrix.PanelWidth;
            Time($"VNNI-512 4 × (8×48), K={k}", 2.0 * 32 * 48 * k, () =>
            {
                for (int r = 0; r < RowsMax; r += 8) Int8TileVnni512.Tile(ca + r * lda, lda, cw3, pb3, 3, groups, cc, 48);
                return true;
            });
            Time($"VNNI-512 4 × (8×32), K={k}", 2.0 * 32 * 32 * k, () =>
            {
                for (int r = 0; r < RowsMax; r += 8) Int8TileVnni512.Tile(ca + r * lda, lda, cw, panelBytes, 2, groups, cc, 48);
                return true;
            });
        }
    }

    private static void Time(string what, double ops, Func<bool> run) =>
        Console.WriteLine($"{what}: {CpuTimer.Best(() => run(), ops, 200):F0} GOP/s per CPU s (best of 3)");

    // Tile threads that check every sum while signals arrive; GC, exceptions and thread starts around them.
    public static void Stress(int seconds, int k, bool exceptions)
    {
        int chunks = k / Int8TileAmx.Depth;
        var (a, w, lda, panelBytes) = Data(new Random(11), chunks);
        var expected = Expected(a, w, lda, panelBytes, chunks);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long tiles = 0, nullRefs = 0, divides = 0, collections = 0, started = 0;
        var workers = new Thread[4];
        for (int t = 0; t < workers.Length; t++)
        {
            workers[t] = new Thread(() =>
            {
                var acc = new int[RowsMax * Ldc];
                var garbage = new List<byte[]>();
                while (!stop.IsCancellationRequested)
                {
                    fixed (byte* pa = a)
                    fixed (sbyte* pw = w)
                    fixed (int* pc = acc)
                    {
                        for (int i = 0; i < 64; i++)
                        {
                            if (!Int8TileAmx.Tile(pa, lda, pw, panelBytes, 2, Panels, chunks, pc, Ldc)) throw new InvalidOperationException("thread refused");
                            for (int j = 0; j < acc.Length; j++)
                                if (acc[j] != expected[j]) throw new InvalidOperationException($"sum {j} wrong under stress: {acc[j]} vs {expected[j]}");
                        }
                    }
                    Interlocked.Add(ref tiles, 64);
                    if (exceptions)
                    {
                        try { Touch(null); } catch (NullReferenceException) { Interlocked.Increment(ref nullRefs); }
                        try { _ = Divide(1, 0); } catch (DivideByZeroException) { Interlocked.Increment(ref divides); }
                    }
                    garbage.Add(new byte[1024]);
                    if (garbage.Count > 4096) garbage.Clear();
                }
            }) { IsBackground = true };
            workers[t].Start();
        }
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                Interlocked.Increment(ref collections);
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        var starter = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var t = new Thread(() => { _ = new byte[100]; });
                t.Start();
                t.Join();
                Interlocked.Increment(ref started);
            }
        }) { IsBackground = true };
        collector.Start();
        starter.Start();
        foreach (var t in workers) t.Join();
        collector.Join();
        starter.Join();
        Console.WriteLine($"stress {seconds} s: {tiles} tiles checked, {nullRefs} NullReferenceExceptions, {divides} DivideByZeroExceptions, {collections} full GCs, {started} threads started: all well");
    }

    private sealed class Box
    {
        public int Value = 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Touch(Box? b) => b!.Value;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Divide(int x, int y) => x / y;
}
