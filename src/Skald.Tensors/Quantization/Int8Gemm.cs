using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The int8 Linear: y[m, N] = x[m, K] · Wᵀ + b with W an <see cref="Int8Matrix"/> (per-row symmetric int8) and x
/// quantised per row on the fly (<see cref="Int8Activations"/>: u8 codes, scale, zero point). Integer products are
/// accumulated exactly in int32 by tiles of 16 columns (8 rows: <see cref="Int8TileAvx512"/>, <see cref="Int8TileVnni"/>;
/// 4 rows: <see cref="Int8TileAvx2"/>, the scalar twin <see cref="Int8TileScalar"/>); the store dequantises each tile:
/// y[i, j] = (acc[i, j] − zero[i] · rowsum[j]) · (scale[i] · wscale[j]) + b[j], and may map it by an activation
/// (GELU: <see cref="Autograd.Ops.LinearActivation"/> on a quantising tape) while it is in cache. Each tile of the
/// 512-bit VNNI kernel whose panels are full (8 × 48 of 8 rows; 8 × 32 and 8 × 16 of 1–8 rows) does the
/// same arithmetic in its own epilogue on the sum registers (<see cref="Int8TileVnni512.TileDequantize"/>, the same
/// bits) and writes y directly, without the int32 sums' round trip through memory (bench/int8, Zen 4: 1.03–1.11× the
/// GOP/s of the product with the 8 × 48 tile).
/// On AVX2 and AVX-512BW the weights are 7-bit (<see cref="WeightLevels"/>) so that the tile adds two groups' vpmaddubsw results in
/// int16 before widening (<see cref="Int8TileAvx2.Sums"/>); a matrix with 8-bit values (an older saved folder) runs
/// the tile that widens every group, as exactly.
/// Work splits over panels of 16 output columns; rows go in blocks of 64 so one block's codes stay in L2 while the
/// panels pass through L1.
/// </summary>
public static unsafe partial class Int8Gemm
{
    /// <summary>Rows of the 4-row tiles (<see cref="Int8TileScalar"/>, <see cref="Int8TileAvx2"/>).</summary>
    internal const int TileRows = 4;

    // Rows of the tallest tile (Int8TileVnni.Tile8, Int8TileAvx512): the activation codes are padded to a multiple.
    private const int MaxTileRows = 8;

    private const int RowBlock = 64;

    // Rows and sums a row of the AMX tile's calls (two 16-row tiles, up to four pairs of panels).
    private const int AmxRows = 2 * Int8TileAmx.Rows, AmxWide = 2 * Int8TileAmx.MaxPairs * Int8Matrix.PanelWidth;

    // Row blocks per thread from which the work splits by rows (each thread all panels of its blocks) rather than by
    // panels (every thread all rows): enough blocks that dynamic claiming still balances the threads.
    private const int RowSplitBlocksPerThread = 4;

    [ThreadStatic] private static byte[]? codes;
    [ThreadStatic] private static float[]? rowScales;
    [ThreadStatic] private static int[]? rowZeros;

    /// <summary>
    /// The fastest kernel this CPU runs, or null when it has none (then callers keep float32), as measured in bench/int8:
    /// AMX first where the process may run it (<see cref="AmxState"/>; Sapphire Rapids VM, one thread, per CPU s:
    /// 1.0–1.5× the 512-bit VNNI kernel on encoder and prompt shapes, the same on a decoding step, which it leaves to
    /// that kernel), then AVX512-VNNI (the assembled 512-bit vpdpbusd tile: on Zen 5 1.27–1.51× the GOP/s of the AVX-512BW
    /// vpmaddubsw tile, on an Intel Xeon 1.4–2.1× the 256-bit vpdpbusd tile's, with 8-bit instead of 7-bit activations
    /// and weights); then on AMD AVX-512BW before AVX-VNNI (Zen 5: the 512-bit vpmaddubsw tile does 1.1–1.25× the GOP/s
    /// of 256-bit vpdpbusd), elsewhere AVX-VNNI before AVX-512BW (Intel Xeon: 1.1–1.4×); then AVX2.
    /// The environment variable SKALD_INT8_KERNEL (Amx, Avx512Vnni, Avx512BW, AvxVnni, Avx2) picks another kernel this CPU
    /// runs, for benchmarks; SKALD_AMX=0 keeps the process from asking for AMX at all.
    /// </summary>
    public static Int8Kernel? Best { get; } = PickBest();

    /// <summary>
    /// One line for a CPU whose AMX the process could not use although it has AMX-INT8 (Linux refused the tile state,
    /// or the code was not placed): int8 then multiplies with the 512-bit VNNI kernel. Null otherwise, also when
    /// SKALD_AMX=0 turned AMX off.
    /// </summary>
    public static string? AmxNotice => AmxState.Notice(AmxState.CpuHasAmx, AmxState.Refusal, IsSupported(Int8Kernel.Amx));

    /// <summary>Whether <paramref name="kernel"/> runs on this CPU (the scalar twin always does).</summary>
    public static bool IsSupported(Int8Kernel kernel) => kernel switch
    {
        Int8Kernel.AvxVnni => AvxVnni.IsSupported,
        Int8Kernel.Avx512Vnni => Int8TileVnni512.IsSupported,
        Int8Kernel.Avx2 => Avx2.IsSupported,
        Int8Kernel.Avx512BW => Avx512BW.IsSupported,
        Int8Kernel.Amx => Int8TileAmx.IsSupported && Int8TileVnni512.IsSupported,
        _ => true,
    };

    // The measured order, unless SKALD_INT8_KERNEL names a kernel this CPU runs (for benchmarks).
    private static Int8Kernel? PickBest()
    {
        if (Enum.TryParse<Int8Kernel>(Environment.GetEnvironmentVariable("SKALD_INT8_KERNEL"), true, out var forced)
            && forced != Int8Kernel.Scalar && IsSupported(forced))
            return forced;
        if (IsSupported(Int8Kernel.Amx)) return Int8Kernel.Amx;
        return Pick(Int8TileVnni512.IsSupported, AvxVnni.IsSupported, Avx512BW.IsSupported, Avx2.IsSupported, IsAmd());
    }

    /// <summary>The measured order of <see cref="Best"/> for a CPU with these instruction sets and vendor.</summary>
    internal static Int8Kernel? Pick(bool vnni512, bool vnni, bool avx512bw, bool avx2, bool amd) =>
        vnni512 ? Int8Kernel.Avx512Vnni
        : avx512bw && (amd || !vnni) ? Int8Kernel.Avx512BW
        : vnni ? Int8Kernel.AvxVnni
        : avx2 ? Int8Kernel.Avx2
        : null;

    // CPUID leaf 0's vendor string (EBX, EDX, ECX) is "AuthenticAMD" (or Hygon's "HygonGenuine", a Zen licensee).
    private static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> words = [ebx, edx, ecx];
        var vendor = System.Text.Encoding.ASCII.GetString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words));
        return vendor is "AuthenticAMD" or "HygonGenuine";
    }

    /// <summary>Activation levels a kernel's codes use: 255 for VNNI, 127 for AVX2 and AVX-512BW (no int16 saturation).</summary>
    public static int ActivationLevels(Int8Kernel kernel) => IsVnni(kernel) ? 255 : 127;

    /// <summary>
    /// Weight levels (|q| ≤ levels) a kernel's matrices are quantised to: 127 for VNNI (plain s8), 63 for AVX2,
    /// AVX-512BW and the scalar twin (7 bits: two vpmaddubsw results of 7-bit activations add in int16 without saturating, 2 · 2 · 127 · 63
    /// = 32004 ≤ 32767).
    /// </summary>
    public static int WeightLevels(Int8Kernel kernel) => IsVnni(kernel) ? 127 : 63;

    /// <summary>
    /// Whether the 512-bit VNNI kernel may run its 8 × 48 tile (three panels) on blocks taller than one tile row
    /// (<see cref="VnniPanels"/>); true unless the environment variable SKALD_INT8_WIDE_TILE is 0 (for benchmarks, which
    /// also flip it between rounds).
    /// </summary>
    internal static bool WideTile { get; set; } = Environment.GetEnvironmentVariable("SKALD_INT8_WIDE_TILE") != "0";

    /// <summary>
    /// The one place the 512-bit VNNI tile's width is chosen: panels (1–3) of a tile at a panel with
    /// <paramref name="left"/> panels left in a row block of <paramref name="blockRows"/> rows. A block of one tile row
    /// (a decoding step, which streams every panel once) takes the prefetching 8 × 32 tile; a taller one the 8 × 48
    /// tile where three panels are left and <paramref name="wide"/> (<see cref="WideTile"/>), else two or one.
    /// </summary>
    internal static int VnniPanels(int blockRows, int left, bool wide) =>
        wide && blockRows > MaxTileRows && left >= 3 ? 3 : Math.Min(2, left);

    // The vpdpbusd kernels: exact on 8-bit codes, no int16 step.
    private static bool IsVnni(Int8Kernel kernel) => kernel is Int8Kernel.AvxVnni or Int8Kernel.Avx512Vnni or Int8Kernel.Amx;

    /// <summary>
    /// y[m, N] = x[m, K] · Wᵀ + bias (bias may be empty) with <paramref name="kernel"/> (default <see cref="Best"/>)
    /// and activation codes of <paramref name="levels"/> levels (default: the kernel's own).
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, Int8Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m,
        Int8Kernel? kernel = null, int? levels = null) => Run(x, weight, bias, y, m, kernel, levels, null, false, null);

    /// <summary>
    /// y = act(x · Wᵀ + b) with the activation applied to each tile in the store: GELU on the tile's registers
    /// (<see cref="Kernels.Activations.GeluOf(Vector512{float})"/>), another activation with a row kernel
    /// (<see cref="Kernels.Activations.RowKernel"/>) over each stored tile row; the same values as <see cref="Linear"/>
    /// followed by the activation over y.
    /// </summary>
    internal static void LinearActivation(ReadOnlySpan<float> x, Int8Matrix weight, ReadOnlySpan<float> bias, Span<float> y,
        int m, Autograd.ActivationKind kind)
    {
        var f = Kernels.Activations.RowKernel(kind);
        if (f == null) throw new ArgumentOutOfRangeException(nameof(kind), kind, "no row kernel for this activation");
        bool gelu = kind == Autograd.ActivationKind.Gelu;
        Run(x, weight, bias, y, m, null, null, gelu ? null : f, gelu, null);
    }

    /// <summary>
    /// y = LayerNorm(x · Wᵀ + b + residual) in place over y's rows (BERT's output projections), mean and rstd [m] as
    /// <see cref="Kernels.LayerNorm.Forward"/> keeps them: the same bytes as <see cref="Linear"/>, a vector add of the
    /// residual and <see cref="Kernels.LayerNorm.Forward"/>. When the product splits by rows each thread normalises its
    /// row blocks as soon as their panels are done (still in cache, no further fork); else one parallel pass after it.
    /// </summary>
    internal static void LinearAddLayerNorm(ReadOnlySpan<float> x, Int8Matrix weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean,
        Span<float> rstd, int m, float eps)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int n = weight.N;
        if (residual.Length < (long)m * n || gamma.Length < n || (!beta.IsEmpty && beta.Length < n) || mean.Length < m
            || rstd.Length < m)
            throw new ArgumentException($"residual needs [{m}, {n}], gamma (and beta, if any) {n}, mean and rstd {m} values");
        fixed (float* pr = residual, pg = gamma, pb = beta, pm = mean, ps = rstd)
        {
            var norm = new RowNorm { Residual = pr, Gamma = pg, Beta = beta.IsEmpty ? null : pb, Mean = pm, Rstd = ps, Eps = eps };
            Run(x, weight, bias, y, m, null, null, null, false, &norm);
        }
    }

    private static void Run(ReadOnlySpan<float> x, Int8Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m,
        Int8Kernel? kernel, int? levels, delegate*<float*, float*, int, void> activation, bool gelu, RowNorm* norm)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var use = kernel ?? Best ?? throw new PlatformNotSupportedException("this CPU has neither AVX-VNNI nor AVX2 for int8 GEMM");
        if (!IsSupported(use)) throw new PlatformNotSupportedException($"this CPU does not run the {use} int8 kernel");
        int k = weight.K, n = weight.N, kp = weight.PaddedK;
        if (x.Length < (long)m * k || y.Length < (long)m * n || (!bias.IsEmpty && bias.Length < n))
            throw new ArgumentException($"x needs [{m}, {k}], y [{m}, {n}] and bias {n} values");
        int lv = levels ?? ActivationLevels(use);
        if (lv is not (63 or 127 or 255)) throw new ArgumentOutOfRangeException(nameof(levels), lv, "activation levels are 63, 127 or 255");
        if (use is Int8Kernel.Avx2 or Int8Kernel.Avx512BW && lv > 127)
            throw new ArgumentOutOfRangeException(nameof(levels), lv, $"the {use} tile takes at most 127 activation levels");
        if (m <= 0) return;
        // AMX multiplies whole 64-k chunks: a K padded to 16 but not 64 runs the 512-bit VNNI tiles (the same sums), as
        // do up to 8 rows (a decoding step: the prefetching 8 × 32 tile, 1.0–1.08× AMX's 16-row tiles there).
        if (use == Int8Kernel.Amx && (kp % Int8TileAmx.Depth != 0 || m <= MaxTileRows)) use = Int8Kernel.Avx512Vnni;
        int tileRows = use == Int8Kernel.Amx ? AmxRows : MaxTileRows;
        int mp = (m + tileRows - 1) / tileRows * tileRows;
        var q = Grow(ref codes, mp * kp);
        var scales = Grow(ref rowScales, mp);
        var zeros = Grow(ref rowZeros, mp);
        q.AsSpan(m * kp, (mp - m) * kp).Clear();
        // The AVX2 tile: how many groups it adds in int16 for these codes (1 for 8-bit weights, 2 for 7-bit, 4 when the
        // activations are 6-bit too); the other kernels ignore it.
        int sums = use is Int8Kernel.Avx2 or Int8Kernel.Avx512BW ? Int8TileAvx2.Sums(lv, weight.MaxMagnitude) : 1;
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* pb = bias)
        {
            int panels = weight.PaddedN / Int8Matrix.PanelWidth, blocks = (m + RowBlock - 1) / RowBlock;
            var a = new Product(use, sums, weight, q, scales, zeros, m, k, n, lv, (nint)px, (nint)py, bias.IsEmpty ? 0 : (nint)pb,
                (nint)activation, gelu, (nint)norm);
            if (blocks >= RowSplitBlocksPerThread * Parallelism.MaxThreads)
            {
                // Enough rows: each thread quantises its own row blocks and runs every panel over them, one fork and
                // join per product instead of two, and the codes used by the thread that made them.
                Parallelism.For(blocks, 1, a, static (in Product a, int c0, int c1) =>
                {
                    int r0 = c0 * RowBlock, r1 = Math.Min(a.M, c1 * RowBlock);
                    QuantizeRows((float*)a.X, a.K, a.Levels, a.Codes, a.Kp, a.Scales, a.Zeros, r0, r1);
                    Panels(a.Kernel, a.Sums, a.Weight, a.Codes, a.Scales, a.Zeros, r0, r1, (float*)a.Bias, (float*)a.Y,
                        (delegate*<float*, float*, int, void>)a.Activation, a.Gelu, 0, a.Weight.PaddedN / Int8Matrix.PanelWidth);
                    if (a.Norm != 0) RowNorm.Normalize((RowNorm*)a.Norm, (float*)a.Y, a.N, r0, r1);
                });
                return;
            }
            Parallelism.For(m, 64, a, static (in Product a, int r0, int r1) =>
                QuantizeRows((float*)a.X, a.K, a.Levels, a.Codes, a.Kp, a.Scales, a.Zeros, r0, r1));
            // Panels split in runs of the widest tile's (three for the 8 × 48 tile), so that no thread's range ends in
            // a narrower tile where a run would have fitted.
            int unit = use == Int8Kernel.Avx512Vnni ? Math.Max(1, VnniPanels(Math.Min(m, RowBlock), 3, WideTile))
                : use == Int8Kernel.Amx ? 2 : 1;
            Parallelism.For((panels + unit - 1) / unit, 1, a with { Unit = unit }, static (in Product a, int u0, int u1) =>
                Panels(a.Kernel, a.Sums, a.Weight, a.Codes, a.Scales, a.Zeros, 0, a.M, (float*)a.Bias, (float*)a.Y,
                    (delegate*<float*, float*, int, void>)a.Activation, a.Gelu, u0 * a.Unit,
                    Math.Min(a.Weight.PaddedN / Int8Matrix.PanelWidth, u1 * a.Unit)));
            if (norm != null)
                Parallelism.For(m, Math.Max(1, 16384 / n), a, static (in Product a, int r0, int r1) =>
                    RowNorm.Normalize((RowNorm*)a.Norm, (float*)a.Y, a.N, r0, r1));
        }
    }

    // A product's arguments for its static parallel bodies (no closure per call): the kernel, weights, the reused code and
    // scale buffers, the pinned x, y and bias (0: none), the activation's function pointer and the row norm (0: none);
    // Unit = panels a unit of the panel split.
    private readonly record struct Product(Int8Kernel Kernel, int Sums, Int8Matrix Weight, byte[] Codes, float[] Scales, int[] Zeros,
        int M, int K, int N, int Levels, nint X, nint Y, nint Bias, nint Activation, bool Gelu, nint Norm)
    {
        public int Kp => Weight.PaddedK;

        public int Unit { get; init; } = 1;
    }

    private static void QuantizeRows(float* x, int k, int levels, byte[] q, int kp, float[] scales, int[] zeros, int r0, int r1)
    {
        for (int i = r0; i < r1; i++)
        {
            Int8Activations.QuantizeRow(new ReadOnlySpan<float>(x + (long)i * k, k), levels, q.AsSpan(i * kp, kp),
                out scales[i], out zeros[i], vectorized: true);
        }
    }

    // Rows [row0, m) by blocks of RowBlock, panels [p0, p1) of each block, a tile at a time.
    private static void Panels(Int8Kernel kernel, int sums, Int8Matrix w, byte[] q, float[] scales, int[] zeros, int row0,
        int m, float* bias, float* y, delegate*<float*, float*, int, void> activation, bool gelu, int p0, int p1)
    {
        int kp = w.PaddedK, groups = kp / Int8Matrix.GroupDepth, n = w.N;
        // Room for the largest tile: 32 rows of eight panels (Int8TileAmx), 8 rows of three (Int8TileVnni512); the
        // others use 16 values a row.
        const int Wide = 3 * Int8Matrix.PanelWidth;
        int* acc = stackalloc int[AmxRows * AmxWide];
        int step = kernel is Int8Kernel.Avx512BW or Int8Kernel.AvxVnni or Int8Kernel.Avx512Vnni ? MaxTileRows : TileRows;
        long panelBytes = (long)kp * Int8Matrix.PanelWidth;
        fixed (byte* pq = q)
        fixed (sbyte* pw = w.Packed)
        fixed (float* ps = scales, pws = w.Scales)
        fixed (int* pz = zeros, prs = w.RowSums)
        {
            for (int b0 = row0; b0 < m; b0 += RowBlock)
            {
                int b1 = Math.Min(m, b0 + RowBlock);
                for (int p = p0; p < p1; p++)
                {
                    sbyte* panel = pw + (long)p * kp * Int8Matrix.PanelWidth;
                    int col0 = p * Int8Matrix.PanelWidth, cols = Math.Min(Int8Matrix.PanelWidth, n - col0);
                    if (kernel == Int8Kernel.Amx)
                    {
                        int width = Math.Min(AmxWide / Int8Matrix.PanelWidth, p1 - p);
                        for (int r = b0; r < b1; r += AmxRows)
                        {
                            int rows = Math.Min(AmxRows, b1 - r);
                            PrefetchOutput(y, n, r, rows, col0, width);
                            AmxTile(pq + (long)r * kp, kp, panel, panelBytes, rows, width, groups, acc);
                            StorePanels(acc, AmxWide, r, rows, col0, width, ps, pz, pws, prs, bias, y, n, activation, gelu);
                        }
                        p += width - 1;
                        continue;
                    }
                    if (kernel == Int8Kernel.Avx512Vnni)
                    {
                        // Up to three panels a tile (VnniPanels). A block of one tile row (a decoding step) streams
                        // each panel once: prefetch the next ones.
                        int width = VnniPanels(b1 - b0, p1 - p, WideTile);
                        bool prefetchNext = b1 - b0 <= step;
                        // A tile of full panels writes y's rows from its own epilogue (DequantizeInTile), unless the
                        // activation is a row kernel; GELU then runs over its stored rows. A part-filled last panel
                        // keeps Store (the epilogue writes whole panels), as does a last 8 × 48 tile of fewer rows (its
                        // code writes 8: the full tiles' epilogue keeps no row count).
                        bool toY = n - col0 >= width * Int8Matrix.PanelWidth && activation == null && DequantizeInTile;
                        for (int r = b0; r < b1; r += step)
                        {
                            int rows = Math.Min(step, m - r);
                            PrefetchOutput(y, n, r, rows, col0, width);
                            if (toY && (width < 3 || rows == step))
                            {
                                float* yt = y + (long)r * n + col0;
                                Int8TileVnni512.TileDequantize(pq + (long)r * kp, kp, panel, panelBytes, width, rows, groups, yt, n,
                                    pz + r, ps + r, prs + col0, pws + col0, bias == null ? null : bias + col0, prefetchNext);
                                if (gelu) GeluRows(yt, n, rows, width * Int8Matrix.PanelWidth);
                                continue;
                            }
                            Int8TileVnni512.Tile(pq + (long)r * kp, kp, panel, panelBytes, width, groups, acc, Wide, prefetchNext);
                            StorePanels(acc, Wide, r, rows, col0, width, ps, pz, pws, prs, bias, y, n, activation, gelu);
                        }
                        p += width - 1;
                        continue;
                    }
                    for (int r = b0; r < b1; r += step)
                    {
                        byte* a = pq + (long)r * kp;
                        switch (kernel)
                        {
                            case Int8Kernel.AvxVnni: Int8TileVnni.Tile8(a, kp, panel, groups, acc); break;
                            case Int8Kernel.Avx512BW when sums == 4: Int8TileAvx512.Tile4(a, kp, panel, groups, acc); break;
                            case Int8Kernel.Avx512BW when sums == 2: Int8TileAvx512.Tile2(a, kp, panel, groups, acc); break;
                            case Int8Kernel.Avx512BW: Int8TileAvx512.Tile(a, kp, panel, groups, acc); break;
                            case Int8Kernel.Avx2 when sums == 4: Int8TileAvx2.Tile4(a, kp, panel, groups, acc); break;
                            case Int8Kernel.Avx2 when sums == 2: Int8TileAvx2.Tile2(a, kp, panel, groups, acc); break;
                            case Int8Kernel.Avx2: Int8TileAvx2.Tile(a, kp, panel, groups, acc); break;
                            default: Int8TileScalar.Tile(a, kp, panel, groups, acc); break;
                        }
                        Store(acc, Int8Matrix.PanelWidth, r, Math.Min(step, m - r), col0, cols, ps, pz, pws, prs, bias, y, n, activation, gelu);
                    }
                }
            }
        }
    }

    // The sums of up to 32 rows × 1–8 panels into acc (row stride AmxWide): the AMX tile, or on a thread that cannot
    // run it (AmxState.PrepareThread) the 512-bit VNNI tile 8 rows × 2 panels at a time, the same sums (a is padded
    // to 32 rows).
    private static void AmxTile(byte* a, int kp, sbyte* panel, long panelBytes, int rows, int width, int groups, int* acc)
    {
        int rowTiles = rows > Int8TileAmx.Rows ? 2 : 1;
        if (Int8TileAmx.Tile(a, kp, panel, panelBytes, rowTiles, width, kp / Int8TileAmx.Depth, acc, AmxWide)) return;
        for (int r = 0; r < rowTiles * Int8TileAmx.Rows; r += MaxTileRows)
        for (int p = 0; p < width; p += 2)
        {
            Int8TileVnni512.Tile(a + (long)r * kp, kp, panel + p * panelBytes, panelBytes, Math.Min(2, width - p), groups,
                acc + r * AmxWide + p * Int8Matrix.PanelWidth, AmxWide);
        }
    }

    private static T[] Grow<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = new T[Math.Max(length, (buffer?.Length ?? 0) * 3 / 2)];
        return buffer;
    }
}
