using System.Diagnostics;
using System.Text.Json;
using Skald.Tensors;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

// The Linear layers of a 12×384 BERT (x[M, in] · Wᵀ, W [out, in]), float32 with the pre-packed weight (what
// SentenceEncoder.Encode uses) against int8 (Int8Gemm: activation quantisation + tiles + dequantising store), in
// interleaved rounds. Reports GOP/s (2·M·N·K per product) per CPU second of the process, which a shared machine
// disturbs less than wall time. On AVX2 it also times the variants of the tile (Int8TileAvx2): int8_w8 = 8-bit weights
// (the tile that widens every group, as before 7-bit weights), int8 = the default (7-bit weights, two groups added in
// int16), int8_a6 = 6-bit activations too (four groups), each with its relative error to float32. With AVX512-VNNI it
// times the 512-bit tile twice in each round, with its 8 × 48 tile (vnni512, the default) and with the 8 × 32 tile
// alone (vnni512_32: Int8Gemm.WideTile off, flipped by reflection, as SKALD_INT8_WIDE_TILE=0 sets it), and the tile
// alone (tile_48, tile_32: Int8TileVnni512.Tile over every 8-row tile and panel run of the product, in Int8Gemm's
// order of 64-row blocks, on random codes, without quantisation or store; GOP/s per CPU s), and the product with the
// tiles dequantising into y in their epilogue (store_in_tile, the default) against the int32 sums stored and
// dequantised after it (store_acc: Int8Gemm.DequantizeInTile off, as SKALD_INT8_TILE_STORE=0 sets it). Both sides
// of each of these three pairs run untimed first (WarmBoth).
// --decoder times Qwen2.5-0.5B's Linear shapes instead, where the tiles other than full 8 × 48 ones run: a decoding
// step of 1 or 4 rows (the prefetching 8 × 32 tile, 1 or 4 rows of y), the key/value projection of a prompt (8 panels:
// two 8 × 48 runs and one 8 × 32), a prompt of 1,001 tokens (a last tile of one row). --shape MxKxN times one shape,
// from either list or any other. Where AMX runs (Int8Kernel.Amx) it times the AMX kernel against the 512-bit VNNI one
// (amx, amx_vnni512, ratio_amx), order alternating by round.
// Usage: dotnet run -c Release --project bench/int8 -- [--threads 1] [--rounds 3] [--decoder] [--shape MxKxN]
int threads = 1, rounds = 3;
string? only = null;
bool decoder = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i]);
    else if (args[i] == "--rounds") rounds = int.Parse(args[++i]);
    else if (args[i] == "--shape") only = args[++i];
    else if (args[i] == "--decoder") decoder = true;
}
Parallelism.MaxThreads = threads;
(int M, int K, int N, string What)[] shapes = decoder
    ? [(1, 896, 4864, "decoder step, gate/up"), (4, 896, 4864, "decoder step ×4, gate/up"), (1, 4864, 896, "decoder step, down"),
       (1024, 896, 128, "decoder prompt, k/v"), (1001, 896, 896, "decoder prompt of 1,001 tokens, q/o")]
    : [(1024, 384, 1152, "qkv, 32×32 tokens"), (1024, 384, 1536, "ffn in"), (1024, 1536, 384, "ffn out"),
       (128, 384, 1536, "ffn in, 4×32 tokens"), (4096, 384, 1536, "ffn in, 32×128 tokens")];
if (only != null && !shapes.Any(s => $"{s.M}x{s.K}x{s.N}" == only))
{
    var d = only.Split('x').Select(int.Parse).ToArray();
    shapes = [(d[0], d[1], d[2], "--shape")];
}
var rng = new Random(1);
float[] Fill(int n, float s) { var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * s; return v; }
var proc = Process.GetCurrentProcess();
double CpuSeconds() { proc.Refresh(); return proc.TotalProcessorTime.TotalSeconds; }
for (int r = 1; r <= rounds; r++)
{
    foreach (var (m, k, n, what) in shapes)
    {
        if (only != null && only != $"{m}x{k}x{n}") continue;
        var x = Fill(m * k, 1f);
        var w = Fill(n * k, 0.05f);
        var bias = Fill(n, 0.1f);
        var y = new float[m * n];
        var packed = Blas.Pack(true, k, n, w, k);
        var q = Int8Matrix.Quantize(w, n, k);
        var q8 = Int8Matrix.Quantize(w, n, k, 127);
        bool avx2 = Int8Gemm.Best == Int8Kernel.Avx2;
        var exact = new float[m * n];
        Skald.Tensors.Kernels.Linear.Forward(x, w, bias, exact, m, k, n);
        double Error()
        {
            double e = 0, s = 0;
            for (int i = 0; i < exact.Length; i++) { e += (y[i] - exact[i]) * (y[i] - exact[i]); s += exact[i] * exact[i]; }
            return Math.Round(Math.Sqrt(e / s), 5);
        }
        double flops = 2.0 * m * n * k;
        double Measure(Action run)
        {
            run();
            int iters = 0;
            double c0 = CpuSeconds();
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < 1.5 || iters < 3)
            {
                run();
                iters++;
            }
            return flops * iters / Math.Max(1e-9, CpuSeconds() - c0) / 1e9;
        }
        double f32 = Measure(() => Skald.Tensors.Kernels.Linear.Forward(x, w, packed, bias, y, m, k, n));
        double i8w8 = avx2 ? Measure(() => Int8Gemm.Linear(x, q8, bias, y, m)) : 0;
        double errW8 = Error();
        double i8 = Measure(() => Int8Gemm.Linear(x, q, bias, y, m));
        double err = Error();
        double i8a6 = avx2 ? Measure(() => Int8Gemm.Linear(x, q, bias, y, m, Int8Kernel.Avx2, 63)) : 0;
        double errA6 = Error();
        // Every vector kernel this CPU runs, each with weights quantised to its own levels (AVX-512BW also with 6-bit
        // activations: four groups added in int16).
        var q63 = Int8Matrix.Quantize(w, n, k, 63);
        bool vnni = Int8Gemm.IsSupported(Int8Kernel.AvxVnni), bw = Int8Gemm.IsSupported(Int8Kernel.Avx512BW);
        bool vnni512 = Int8Gemm.IsSupported(Int8Kernel.Avx512Vnni);
        double iVnni = vnni ? Measure(() => Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.AvxVnni)) : 0;
        double errVnni = Error();
        double iVnni512 = vnni512 ? Measure(() => Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni)) : 0;
        double errVnni512 = Error();
        // The 8 × 48 and the 8 × 32 tile, alone and in the product, the first of each pair alternating by round.
        var wide = typeof(Int8Gemm).GetProperty("WideTile", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            ?? throw new InvalidOperationException("Int8Gemm.WideTile is gone");
        double tile48 = 0, tile32 = 0, iVnni512Narrow = 0;
        if (vnni512) WarmBoth(r, () => TileOnly(m, k, n, 3), () => TileOnly(m, k, n, 2));
        for (int pass = 0; vnni512 && pass < 2; pass++)
        {
            if ((pass + r) % 2 == 0) tile48 = Measure(() => TileOnly(m, k, n, 3));
            else tile32 = Measure(() => TileOnly(m, k, n, 2));
        }
        if (vnni512)
        {
            WarmBoth(r, () => { wide.SetValue(null, true); Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni); },
                () => { wide.SetValue(null, false); Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni); });
        }
        for (int pass = 0; vnni512 && pass < 2; pass++)
        {
            bool w3 = (pass + r) % 2 == 0;
            wide.SetValue(null, w3);
            double g = Measure(() => Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni));
            if (w3) iVnni512 = g;
            else iVnni512Narrow = g;
        }
        wide.SetValue(null, true);
        // The 8 × 48 tile's store in its epilogue against the int32 sums stored and dequantised by Int8Gemm.Store
        // (Int8Gemm.DequantizeInTile, as SKALD_INT8_TILE_STORE=0 sets it), order alternating by round.
        var inTile = typeof(Int8Gemm).GetProperty("DequantizeInTile", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)
            ?? throw new InvalidOperationException("Int8Gemm.DequantizeInTile is gone");
        double storeInTile = 0, storeAcc = 0;
        // (Store is a path the product has not run yet where every tile of this shape dequantises in its epilogue.)
        if (vnni512)
        {
            WarmBoth(r, () => { inTile.SetValue(null, true); Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni); },
                () => { inTile.SetValue(null, false); Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni); });
        }
        for (int pass = 0; vnni512 && pass < 2; pass++)
        {
            bool on = (pass + r) % 2 == 0;
            inTile.SetValue(null, on);
            double g = Measure(() => Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni));
            if (on) storeInTile = g;
            else storeAcc = g;
        }
        inTile.SetValue(null, true);
        // The AMX tiles (Int8TileAmx, 32 × 32 a call) against the 512-bit VNNI kernel's default, order alternating by
        // round; the same sums, so the same y.
        bool amx = Int8Gemm.IsSupported(Int8Kernel.Amx);
        double iAmx = 0, iAmxVnni = 0;
        if (amx)
        {
            WarmBoth(r, () => Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Amx), () => Int8Gemm.Linear(x, q8, bias, y, m, Int8Kernel.Avx512Vnni));
        }
        for (int pass = 0; amx && pass < 2; pass++)
        {
            bool on = (pass + r) % 2 == 0;
            double g = Measure(() => Int8Gemm.Linear(x, q8, bias, y, m, on ? Int8Kernel.Amx : Int8Kernel.Avx512Vnni));
            if (on) iAmx = g;
            else iAmxVnni = g;
        }
        // The activation quantisation alone, as GOP/s of the product it feeds (its share of a product's time: linear / this).
        int kp16 = (k + 15) / 16 * 16;
        var codes = new byte[m * kp16];
        var qs = new float[m];
        var qz = new int[m];
        double quant = Measure(() => Int8Activations.Quantize(x, m, k, 255, codes, kp16, qs, qz));
        double iBw = bw ? Measure(() => Int8Gemm.Linear(x, q63, bias, y, m, Int8Kernel.Avx512BW)) : 0;
        double errBw = Error();
        double iBwA6 = bw ? Measure(() => Int8Gemm.Linear(x, q63, bias, y, m, Int8Kernel.Avx512BW, 63)) : 0;
        double errBwA6 = Error();
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            round = r, shape = $"{m}x{k}x{n}", what, threads, kernel = Int8Gemm.Best?.ToString(),
            f32_gflops_per_cpu_s = Math.Round(f32, 1), int8_gops_per_cpu_s = Math.Round(i8, 1), ratio = Math.Round(i8 / f32, 2),
            int8_w8 = Math.Round(i8w8, 1), ratio_w8 = Math.Round(i8w8 / f32, 2), int8_a6 = Math.Round(i8a6, 1), ratio_a6 = Math.Round(i8a6 / f32, 2),
            rel_err = err, rel_err_w8 = errW8, rel_err_a6 = errA6,
            vnni = Math.Round(iVnni, 1), rel_err_vnni = errVnni, vnni512 = Math.Round(iVnni512, 1), rel_err_vnni512 = errVnni512,
            vnni512_32 = Math.Round(iVnni512Narrow, 1), ratio_48_32 = Math.Round(iVnni512 / iVnni512Narrow, 3),
            store_in_tile = Math.Round(storeInTile, 1), store_acc = Math.Round(storeAcc, 1), ratio_store = Math.Round(storeInTile / storeAcc, 3),
            tile_48 = Math.Round(tile48, 1), tile_32 = Math.Round(tile32, 1), tile_ratio_48_32 = Math.Round(tile48 / tile32, 3),
            quant_share = Math.Round(iVnni512 / quant, 3),
            amx = Math.Round(iAmx, 1), amx_vnni512 = Math.Round(iAmxVnni, 1), ratio_amx = Math.Round(iAmx / iAmxVnni, 3),
            avx512bw = Math.Round(iBw, 1), rel_err_avx512bw = errBw,
            avx512bw_a6 = Math.Round(iBwA6, 1), rel_err_avx512bw_a6 = errBwA6,
            load = File.ReadAllText("/proc/loadavg").Split(' ')[0],
        }));
    }
}

// Both sides of an A/B pair run untimed, half a second each, before either is timed: a path the process has not run
// yet (an in-process switch's other side, the 8 × 32 tile alone) starts at JIT tier 0 and would be timed before it is
// optimised (store_acc read 10-15 % low so). The first round only: after it, every side has run for its timed 1.5 s.
static void WarmBoth(int round, Action first, Action second)
{
    if (round != 1) return;
    foreach (var side in new[] { first, second })
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 0.5) side();
    }
}

// The 512-bit VNNI tile alone over an [m, k] · [n, k]ᵀ product of random codes (k padded to 16, as Int8Matrix pads it),
// `width` panels a tile (2 or 3; the last run of a block narrower), 64-row blocks as Int8Gemm.Panels runs them. The
// internal Tile is reached through its function pointer (this bench is not a friend assembly).
static unsafe void TileOnly(int m, int k, int n, int width)
{
    var t = TileBuffers.For(m, k, n);
    int kp = t.Kp, groups = kp / 4, panels = (n + 15) / 16;
    long panelBytes = (long)kp * 16;
    fixed (byte* pa = t.A)
    fixed (sbyte* pw = t.W)
    fixed (int* acc = t.Acc)
    {
        for (int b0 = 0; b0 < m; b0 += 64)
        for (int p = 0; p < panels; p += width)
        {
            int w = Math.Min(width, panels - p);
            for (int r = b0; r < Math.Min(m, b0 + 64); r += 8)
                TileBuffers.Tile(pa + (long)r * kp, kp, pw + p * panelBytes, panelBytes, w, groups, acc, 48, false);
        }
    }
}

/// <summary>Random codes and panels for <c>TileOnly</c>, kept for the last shape, and the tile's function pointer.</summary>
internal sealed class TileBuffers
{
    private static TileBuffers? last;

    public static readonly unsafe delegate*<byte*, int, sbyte*, long, int, int, int*, int, bool, void> Tile =
        (delegate*<byte*, int, sbyte*, long, int, int, int*, int, bool, void>)(typeof(Int8Gemm).Assembly
            .GetType("Skald.Tensors.Quantization.Int8TileVnni512")?.GetMethod("Tile")
            ?? throw new InvalidOperationException("Int8TileVnni512.Tile is gone")).MethodHandle.GetFunctionPointer();

    public required int M, K, N, Kp;
    public required byte[] A;
    public required sbyte[] W;
    public int[] Acc { get; } = new int[8 * 48];

    public static TileBuffers For(int m, int k, int n)
    {
        if (last is { } t && t.M == m && t.K == k && t.N == n) return t;
        int kp = (k + 15) / 16 * 16, np = (n + 15) / 16 * 16;
        var rng = new Random(3);
        var a = new byte[(m + 7) / 8 * 8 * kp];
        var w = new sbyte[np * kp];
        rng.NextBytes(a);
        rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
        return last = new TileBuffers { M = m, K = k, N = n, Kp = kp, A = a, W = w };
    }
}
