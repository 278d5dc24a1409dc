using System.Runtime.Intrinsics;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The bfloat16 Linear: y[m, N] = bf16(x)[m, K] · Wᵀ + b with W a <see cref="Bf16Matrix"/> and x rounded to bfloat16
/// per call (to nearest even, <see cref="Kernels.Bf16.FromSingle(ReadOnlySpan{float}, Span{ushort})"/>), products
/// summed in float32 (what <c>torch.autocast("cpu", torch.bfloat16)</c> computes, up to the order of the sums) by
/// 8 × 32 tiles of <c>vdpbf16ps</c> (<see cref="Bf16TileDot512"/>; the scalar twin <see cref="Bf16TileScalar"/>, 8 × 16,
/// gives the same bits, too slow to serve). The store adds the bias and may apply GELU (exact or tanh) to the tile while
/// it is in registers (<see cref="LinearActivation(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Autograd.ActivationKind)"/>),
/// or a gated MLP's f(gate) ⊙ up to a tile pairing a gate panel with its up panel (<see cref="LinearGated(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Kernels.GateFunction)"/>),
/// or the finished rows get the residual added and are LayerNormed while in cache (<c>LinearAddLayerNorm</c>), as
/// <see cref="Int8Gemm"/>'s store does: the same bytes as the unfused ops. Work splits over pairs of panels (32 output
/// columns), or, with enough rows, over blocks of 64 rows (each thread rounds its own rows and runs every panel over
/// them); the engine's pool (<see cref="Parallelism"/>). A call allocates nothing once its per-thread buffer has grown.
/// </summary>
public static unsafe partial class Bf16Gemm
{
    private const int Rows = Bf16TileDot512.Rows;
    private const int RowBlock = 64;
    private const int RowSplitBlocksPerThread = 4;
    private const int Width = 2 * Bf16Matrix.PanelWidth;
    private const long NormInChunkMinWeightBytes = 512 << 10;

    [ThreadStatic] private static ushort[]? rounded;

    /// <summary>For tests: sends this thread's products through the scalar twin (a whole model's reference); false in production.</summary>
    [ThreadStatic] internal static bool ScalarTwin;

    /// <summary>Whether this CPU runs the <c>vdpbf16ps</c> tile (AVX512-BF16: AMD Zen 4 and later, Intel Cooper Lake and Sapphire Rapids and later).</summary>
    public static bool IsSupported => Bf16TileDot512.IsSupported;

    /// <summary>
    /// The tile the products run on here, for reports: "tdpbf16ps (AMX)" where AMX-BF16 runs (products of K in whole
    /// 32s; the rest on vdpbf16ps), else "vdpbf16ps"; null where neither runs.
    /// </summary>
    public static string? KernelName => Bf16TileAmx.IsSupported ? "tdpbf16ps (AMX)" : IsSupported ? "vdpbf16ps" : null;

    /// <summary>y[m, N] = bf16(x)[m, K] · Wᵀ + bias (bias may be empty) with the <c>vdpbf16ps</c> tile (or the AMX tile, <see cref="UsesAmx"/>).</summary>
    public static void Linear(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m) =>
        Linear(x, weight, bias, y, m, scalar: ScalarTwin);

    /// <summary>
    /// <see cref="Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/>, with
    /// <paramref name="scalar"/> through the scalar twin (<see cref="Bf16TileScalar"/>; any CPU) and its scalar rounding
    /// of x (<see cref="Kernels.Bf16.FromSingleReference"/>) and scalar store.
    /// </summary>
    internal static void Linear(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m, bool scalar) =>
        Run(x, weight, bias, y, m, scalar, Epilogue.None, default, null);

    /// <summary>
    /// y = act(bf16(x) · Wᵀ + b) with the activation applied in the store, on each tile's registers, without writing and
    /// reading y a second time: exact GELU (<see cref="Kernels.Activations.GeluOf(System.Runtime.Intrinsics.Vector512{float})"/>,
    /// whose lanes equal the scalar <c>GeluOf(float)</c>) or GELU (tanh) (<see cref="Kernels.Activations.GeluTanhOf(System.Runtime.Intrinsics.Vector512{float})"/>,
    /// the lanes <see cref="Kernels.Activations.GeluTanh"/> puts every value through, a row's tail and the scalar twin by
    /// that kernel itself), so the result is <see cref="Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/>
    /// followed by <see cref="Kernels.Activations.Gelu"/> or <see cref="Kernels.Activations.GeluTanh"/> bit for bit.
    /// Other activations are refused (the caller runs them after the product).
    /// </summary>
    internal static void LinearActivation(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m,
        Autograd.ActivationKind kind) => LinearActivation(x, weight, bias, y, m, kind, ScalarTwin);

    /// <summary>
    /// <see cref="LinearActivation(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Autograd.ActivationKind)"/>,
    /// with <paramref name="scalar"/> through the scalar twin (tile, rounding and store).
    /// </summary>
    internal static void LinearActivation(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m,
        Autograd.ActivationKind kind, bool scalar)
    {
        var epilogue = kind switch
        {
            Autograd.ActivationKind.Gelu => Epilogue.Gelu,
            Autograd.ActivationKind.GeluTanh => Epilogue.GeluTanh,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "the bfloat16 store fuses GELU (exact or tanh) only"),
        };
        Run(x, weight, bias, y, m, scalar, epilogue, default, null);
    }

    /// <summary>Whether <see cref="LinearGated(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Kernels.GateFunction)"/>
    /// takes this stacked [gate; up] weight: each half a whole number of panels (I a multiple of 16).</summary>
    internal static bool CanGate(Bf16Matrix weight) => weight.N % (2 * Bf16Matrix.PanelWidth) == 0;

    /// <summary>
    /// A gated MLP's first half in one pass: y[m, I] = f(bf16(x) · W_gateᵀ + b_gate) ⊙ (bf16(x) · W_upᵀ + b_up) with W the
    /// stacked [gate; up] weight [2I, K] (<see cref="CanGate"/>) and bias [2I] or empty. Each tile pairs gate panel q with
    /// up panel q + I/16, so a tile holds a gate column and its up column side by side; the store adds the bias and runs
    /// <see cref="Kernels.GatedActivation"/>'s row kernel on the tile's rows, so the result is the bfloat16
    /// <see cref="Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/> into [m, 2I] followed by
    /// <see cref="Kernels.GatedActivation.Forward"/> bit for bit, without the [m, 2I] intermediate.
    /// </summary>
    internal static void LinearGated(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m,
        Kernels.GateFunction f) => LinearGated(x, weight, bias, y, m, f, ScalarTwin);

    /// <summary>
    /// <see cref="LinearGated(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Kernels.GateFunction)"/>,
    /// with <paramref name="scalar"/> through the scalar twin's product and rounding (the gate's row kernel is the one kernel either way).
    /// </summary>
    internal static void LinearGated(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m,
        Kernels.GateFunction f, bool scalar)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (!CanGate(weight))
            throw new ArgumentException($"a gated bfloat16 product needs [gate; up] halves of whole 16-row panels, got N = {weight.N}", nameof(weight));
        Interlocked.Increment(ref gatedProducts);
        Run(x, weight, bias, y, m, scalar, Epilogue.Gated, f, null);
    }

    private static long gatedProducts;

    /// <summary>Gated products run so far (<see cref="LinearGated(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Kernels.GateFunction)"/>):
    /// what a model-level test reads to know that its gated MLP took the fused pass.</summary>
    internal static long GatedProducts => Interlocked.Read(ref gatedProducts);

    /// <summary>
    /// y = LayerNorm(bf16(x) · Wᵀ + b + residual) over y's rows (BERT's output projections), mean and rstd [m] as
    /// <see cref="Kernels.LayerNorm.Forward"/> keeps them: the same bytes as
    /// <see cref="Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/>, a vector add of the
    /// residual and <see cref="Kernels.LayerNorm.Forward"/>. When the product splits by rows each thread normalises its
    /// row blocks as soon as their panels are done (still in cache, no further fork); else one parallel pass after it.
    /// </summary>
    internal static void LinearAddLayerNorm(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean,
        Span<float> rstd, int m, float eps) => LinearAddLayerNorm(x, weight, bias, residual, gamma, beta, y, mean, rstd, m, eps, ScalarTwin);

    /// <summary>
    /// <see cref="LinearAddLayerNorm(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, float)"/>,
    /// with <paramref name="scalar"/> through the scalar twin's product (the LayerNorm is the one kernel either way).
    /// </summary>
    internal static void LinearAddLayerNorm(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y, Span<float> mean,
        Span<float> rstd, int m, float eps, bool scalar)
    {
        ArgumentNullException.ThrowIfNull(weight);
        int n = weight.N;
        if (m < 0 || residual.Length < (long)m * n || gamma.Length < n || (!beta.IsEmpty && beta.Length < n) || mean.Length < m
            || rstd.Length < m)
            throw new ArgumentException($"residual needs [{m}, {n}], gamma (and beta, if any) {n}, mean and rstd {m} values");
        fixed (float* pr = residual, pg = gamma, pb = beta, pm = mean, ps = rstd)
        {
            var norm = new RowNorm { Residual = pr, Gamma = pg, Beta = beta.IsEmpty ? null : pb, Mean = pm, Rstd = ps, Eps = eps };
            Run(x, weight, bias, y, m, scalar, Epilogue.None, default, &norm);
        }
    }

    private static void Run(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m, bool scalar,
        Epilogue epilogue, Kernels.GateFunction gate, RowNorm* norm)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (!scalar && !IsSupported) throw new PlatformNotSupportedException("this CPU has no AVX512-BF16 for the bfloat16 GEMM");
        int k = weight.K, n = weight.N, kp = weight.PaddedK, outCols = epilogue == Epilogue.Gated ? n / 2 : n;
        if (m < 0 || x.Length < (long)m * k || y.Length < (long)m * outCols || (!bias.IsEmpty && bias.Length < n))
            throw new ArgumentException($"x needs [{m}, {k}], y [{m}, {outCols}] and bias {n} values");
        if (m == 0) return;
        bool amx = UsesAmx(kp);
        int rowStep = amx ? Bf16TileAmx.Rows : Rows, mp = (m + rowStep - 1) / rowStep * rowStep;
        if (rounded is null || rounded.Length < mp * kp) rounded = GC.AllocateUninitializedArray<ushort>(Math.Max(mp * kp, (rounded?.Length ?? 0) * 3 / 2), pinned: true);
        var a = rounded;
        a.AsSpan(m * kp, (mp - m) * kp).Clear();
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* pb = bias)
        fixed (ushort* pa = a)
        {
            var p = new Product(weight, (nint)pa, (nint)px, (nint)py, bias.IsEmpty ? 0 : (nint)pb, m, scalar, amx, epilogue, gate, (nint)norm);
            int units = (weight.PaddedN / Bf16Matrix.PanelWidth + 1) / 2, blocks = (m + RowBlock - 1) / RowBlock;
            if (blocks >= RowSplitBlocksPerThread * Parallelism.MaxThreads)
            {
                // A weight small enough to stay in L2 between a thread's blocks (12×384's attention output, 288 KB) ran
                // 0.92–0.99× the unfused ops with the LayerNorm in the chunk (likely the residual's rows passing through
                // L2 beside it) and 1.03–1.06× with one pass after the product (bench/kernel bf16fuse, docs/performance.md).
                bool inChunk = norm == null || weight.Bytes > NormInChunkMinWeightBytes;
                Parallelism.For(blocks, 1, p with { Norm = inChunk ? p.Norm : 0 }, static (in Product p, int b0, int b1) =>
                {
                    int r0 = b0 * RowBlock, r1 = Math.Min(p.M, b1 * RowBlock);
                    Round(p, r0, r1);
                    Panels(p, r0, r1, 0, (p.Weight.PaddedN / Bf16Matrix.PanelWidth + 1) / 2);
                    if (p.Norm != 0) RowNorm.Normalize((RowNorm*)p.Norm, (float*)p.Y, p.Weight.N, r0, r1); // its rows, still in cache
                });
                if (!inChunk)
                    Parallelism.For(m, Math.Max(1, 16384 / n), p, static (in Product p, int r0, int r1) =>
                        RowNorm.Normalize((RowNorm*)p.Norm, (float*)p.Y, p.Weight.N, r0, r1));
                return;
            }
            Parallelism.For(m, 64, p, static (in Product p, int r0, int r1) => Round(p, r0, r1));
            Parallelism.For(units, 1, p, static (in Product p, int u0, int u1) => Panels(p, 0, p.M, u0, u1));
            if (norm != null)
                Parallelism.For(m, Math.Max(1, 16384 / n), p, static (in Product p, int r0, int r1) =>
                    RowNorm.Normalize((RowNorm*)p.Norm, (float*)p.Y, p.Weight.N, r0, r1));
        }
    }

    /// <summary>
    /// Whether a product over <paramref name="paddedK"/> runs on the AMX tile (<see cref="Bf16TileAmx"/>, or with the
    /// scalar twin <see cref="Bf16TileAmxScalar"/>): where the process runs AMX-BF16 and K is whole 32-deep chunks (else
    /// the <c>vdpbf16ps</c> tile, for the whole product). Whatever the rows: a decoding step's few rows fill a 16-row
    /// tile with padding, but a row's sums then never depend on how many rows share its product (the two tiles add
    /// in different orders, so a choice by rows would change a row's bits as a batch's other rows leave).
    /// </summary>
    internal static bool UsesAmx(int paddedK) => Bf16TileAmx.IsSupported && paddedK % Bf16TileAmx.Depth == 0;

    // A product's arguments for the static parallel bodies (no closure per call): the weight, the pinned bfloat16 rows
    // of x, x, y and bias (0: none), the tile (AMX or vdpbf16ps), what the store applies (and the gate's function), the
    // row norm (0: none).
    private readonly record struct Product(Bf16Matrix Weight, nint A, nint X, nint Y, nint Bias, int M, bool Scalar, bool Amx,
        Epilogue Epilogue, Kernels.GateFunction Gate, nint Norm);

    // What the store does beside adding the bias: nothing, exact GELU, GELU (tanh), or a gated MLP's f(gate) ⊙ up.
    private enum Epilogue : byte { None, Gelu, GeluTanh, Gated }

    // Rows [r0, r1) of x rounded to bfloat16 into A (rows PaddedK apart, the odd K's pad value 0).
    private static void Round(in Product p, int r0, int r1)
    {
        int k = p.Weight.K, kp = p.Weight.PaddedK;
        for (int i = r0; i < r1; i++)
        {
            var src = new ReadOnlySpan<float>((float*)p.X + (long)i * k, k);
            var dst = new Span<ushort>((ushort*)p.A + (long)i * kp, kp);
            if (p.Scalar) Kernels.Bf16.FromSingleReference(src, dst);
            else Kernels.Bf16.FromSingle(src, dst);
            if (kp > k) dst[k] = 0;
        }
    }

    // Rows [row0, m) by blocks of RowBlock, panel pairs [u0, u1) of each block, a tile at a time.
    private static void Panels(in Product p, int row0, int m, int u0, int u1)
    {
        var w = p.Weight;
        int kp = w.PaddedK, pairs = kp / 2, n = w.N, panels = w.PaddedN / Bf16Matrix.PanelWidth;
        long panelValues = (long)kp * Bf16Matrix.PanelWidth;
        bool gated = p.Epilogue == Epilogue.Gated;
        long stride = gated ? panels / 2 * panelValues : panelValues; // a tile's second panel: the gate's up panel, or the next
        float* acc = stackalloc float[2 * Bf16TileAmx.Rows * Width];
        ushort* pa = (ushort*)p.A;
        fixed (ushort* pw = w.Packed)
        {
            for (int b0 = row0; b0 < m; b0 += RowBlock)
            {
                int b1 = Math.Min(m, b0 + RowBlock);
                for (int u = u0; u < u1; u++)
                {
                    int first = gated ? u : 2 * u, width = gated ? 2 : Math.Min(2, panels - first), col0 = first * Bf16Matrix.PanelWidth;
                    ushort* panel = pw + first * panelValues;
                    for (int r = b0, rows; r < b1; r += rows)
                    {
                        ushort* a = pa + (long)r * kp;
                        rows = Rows;
                        if (p.Amx)
                            rows = AmxTile(p.Scalar, a, kp, panel, stride, width, b1 - r, acc);
                        else if (p.Scalar)
                        {
                            for (int q = 0; q < width; q++)
                                Bf16TileScalar.Tile(a, kp, panel + q * stride, pairs, acc + q * Bf16Matrix.PanelWidth, Width);
                        }
                        else
                            Bf16TileDot512.Tile(a, kp, panel, stride, width, pairs, acc, Width, prefetchNext: b1 - b0 <= Rows,
                                nextPanel: gated ? panelValues : 0);
                        if (gated) StoreGated(p, acc, r, Math.Min(rows, m - r), col0, n / 2);
                        else Store(p, acc, r, Math.Min(rows, m - r), col0, Math.Min(width * Bf16Matrix.PanelWidth, n - col0), n);
                    }
                }
            }
        }
    }

    // One AMX tile of 16 or 32 rows (32 when more than 16 of the block are left) × width panels into acc (rows Width
    // apart): the hardware, its scalar twin, or, on a thread that cannot run tiles, the vdpbf16ps tile 8 rows at a time
    // (another summation order: that thread's bits are the vdpbf16ps tile's). Returns the rows computed.
    private static int AmxTile(bool scalar, ushort* a, int kp, ushort* panel, long stride, int width, int left, float* acc)
    {
        int rowTiles = left > Bf16TileAmx.Rows ? 2 : 1, rows = rowTiles * Bf16TileAmx.Rows, chunks = kp / Bf16TileAmx.Depth;
        if (scalar)
        {
            for (int q = 0; q < width; q++)
                Bf16TileAmxScalar.Tile(a, kp, panel + q * stride, rows, chunks, acc + q * Bf16Matrix.PanelWidth, Width);
        }
        else if (!Bf16TileAmx.Tile(a, kp, panel, stride, rowTiles, width, chunks, acc, Width))
        {
            for (int r = 0; r < rows; r += Rows)
                Bf16TileDot512.Tile(a + (long)r * kp, kp, panel, stride, width, kp / 2, acc + r * Width, Width);
        }
        return rows;
    }
}
