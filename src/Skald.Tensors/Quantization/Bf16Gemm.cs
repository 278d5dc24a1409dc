using System.Runtime.Intrinsics;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The bfloat16 Linear: y[m, N] = bf16(x)[m, K] · Wᵀ + b with W a <see cref="Bf16Matrix"/> and x rounded to bfloat16
/// per call (to nearest even, <see cref="Kernels.Bf16.FromSingle(ReadOnlySpan{float}, Span{ushort})"/>), products
/// summed in float32 (what <c>torch.autocast("cpu", torch.bfloat16)</c> computes, up to the order of the sums) by
/// 8 × 32 tiles of <c>vdpbf16ps</c> (<see cref="Bf16TileDot512"/>; the scalar twin <see cref="Bf16TileScalar"/>, 8 × 16,
/// gives the same bits, too slow to serve). The store adds the bias and may apply GELU to the tile while it is
/// in registers (<see cref="LinearActivation(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int, Autograd.ActivationKind)"/>),
/// or the finished rows get the residual added and are LayerNormed while in cache (<c>LinearAddLayerNorm</c>), as
/// <see cref="Int8Gemm"/>'s store does: the same bytes as the unfused ops. Work splits over pairs of panels (32 output
/// columns), or, with enough rows, over blocks of 64 rows (each thread rounds its own rows and runs every panel over
/// them); the engine's pool (<see cref="Parallelism"/>). A call allocates nothing once its per-thread buffer has grown.
/// </summary>
public static unsafe class Bf16Gemm
{
    private const int Rows = Bf16TileDot512.Rows;
    private const int RowBlock = 64;
    private const int RowSplitBlocksPerThread = 4;
    private const int Width = 2 * Bf16Matrix.PanelWidth;

    [ThreadStatic] private static ushort[]? rounded;

    /// <summary>For tests: sends this thread's products through the scalar twin (a whole model's reference); false in production.</summary>
    [ThreadStatic] internal static bool ScalarTwin;

    /// <summary>Whether this CPU runs the <c>vdpbf16ps</c> tile (AVX512-BF16: AMD Zen 4 and later, Intel Cooper Lake and Sapphire Rapids and later).</summary>
    public static bool IsSupported => Bf16TileDot512.IsSupported;

    /// <summary>y[m, N] = bf16(x)[m, K] · Wᵀ + bias (bias may be empty) with the <c>vdpbf16ps</c> tile.</summary>
    public static void Linear(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m) =>
        Linear(x, weight, bias, y, m, scalar: ScalarTwin);

    /// <summary>
    /// <see cref="Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/>, with
    /// <paramref name="scalar"/> through the scalar twin (<see cref="Bf16TileScalar"/>; any CPU) and its scalar rounding
    /// of x (<see cref="Kernels.Bf16.FromSingleReference"/>) and scalar store.
    /// </summary>
    internal static void Linear(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m, bool scalar) =>
        Run(x, weight, bias, y, m, scalar, gelu: false, null);

    /// <summary>
    /// y = act(bf16(x) · Wᵀ + b) with the activation applied in the store, on each tile's registers; exact GELU only
    /// (<see cref="Kernels.Activations.GeluOf(System.Runtime.Intrinsics.Vector512{float})"/>, whose lanes equal the scalar
    /// <c>GeluOf(float)</c>, so the result is <see cref="Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/>
    /// followed by <see cref="Kernels.Activations.Gelu"/> bit for bit, without writing and reading y a second time).
    /// Other activations are refused: GELU-tanh's row kernel gives other bits in a tile's tail than over the whole
    /// buffer, so fusing it would change the output (the caller runs it after the product instead).
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
        if (kind != Autograd.ActivationKind.Gelu) throw new ArgumentOutOfRangeException(nameof(kind), kind, "the bfloat16 store fuses exact GELU only");
        Run(x, weight, bias, y, m, scalar, gelu: true, null);
    }

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
            Run(x, weight, bias, y, m, scalar, gelu: false, &norm);
        }
    }

    private static void Run(ReadOnlySpan<float> x, Bf16Matrix weight, ReadOnlySpan<float> bias, Span<float> y, int m, bool scalar,
        bool gelu, RowNorm* norm)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (!scalar && !IsSupported) throw new PlatformNotSupportedException("this CPU has no AVX512-BF16 for the bfloat16 GEMM");
        int k = weight.K, n = weight.N, kp = weight.PaddedK;
        if (m < 0 || x.Length < (long)m * k || y.Length < (long)m * n || (!bias.IsEmpty && bias.Length < n))
            throw new ArgumentException($"x needs [{m}, {k}], y [{m}, {n}] and bias {n} values");
        if (m == 0) return;
        int mp = (m + Rows - 1) / Rows * Rows;
        if (rounded is null || rounded.Length < mp * kp) rounded = GC.AllocateUninitializedArray<ushort>(Math.Max(mp * kp, (rounded?.Length ?? 0) * 3 / 2), pinned: true);
        var a = rounded;
        a.AsSpan(m * kp, (mp - m) * kp).Clear();
        fixed (float* px = x)
        fixed (float* py = y)
        fixed (float* pb = bias)
        fixed (ushort* pa = a)
        {
            var p = new Product(weight, (nint)pa, (nint)px, (nint)py, bias.IsEmpty ? 0 : (nint)pb, m, scalar, gelu, (nint)norm);
            int units = (weight.PaddedN / Bf16Matrix.PanelWidth + 1) / 2, blocks = (m + RowBlock - 1) / RowBlock;
            if (blocks >= RowSplitBlocksPerThread * Parallelism.MaxThreads)
            {
                Parallelism.For(blocks, 1, p, static (in Product p, int b0, int b1) =>
                {
                    int r0 = b0 * RowBlock, r1 = Math.Min(p.M, b1 * RowBlock);
                    Round(p, r0, r1);
                    Panels(p, r0, r1, 0, (p.Weight.PaddedN / Bf16Matrix.PanelWidth + 1) / 2);
                    if (p.Norm != 0) RowNorm.Normalize((RowNorm*)p.Norm, (float*)p.Y, p.Weight.N, r0, r1); // its rows, still in cache
                });
                return;
            }
            Parallelism.For(m, 64, p, static (in Product p, int r0, int r1) => Round(p, r0, r1));
            Parallelism.For(units, 1, p, static (in Product p, int u0, int u1) => Panels(p, 0, p.M, u0, u1));
            if (norm != null)
                Parallelism.For(m, Math.Max(1, 16384 / n), p, static (in Product p, int r0, int r1) =>
                    RowNorm.Normalize((RowNorm*)p.Norm, (float*)p.Y, p.Weight.N, r0, r1));
        }
    }

    // A product's arguments for the static parallel bodies (no closure per call): the weight, the pinned bfloat16 rows
    // of x, x, y and bias (0: none), GELU in the store, the row norm (0: none).
    private readonly record struct Product(Bf16Matrix Weight, nint A, nint X, nint Y, nint Bias, int M, bool Scalar, bool Gelu, nint Norm);

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
        float* acc = stackalloc float[Rows * Width];
        ushort* pa = (ushort*)p.A;
        fixed (ushort* pw = w.Packed)
        {
            for (int b0 = row0; b0 < m; b0 += RowBlock)
            {
                int b1 = Math.Min(m, b0 + RowBlock);
                for (int u = u0; u < u1; u++)
                {
                    int first = 2 * u, width = Math.Min(2, panels - first), col0 = first * Bf16Matrix.PanelWidth;
                    ushort* panel = pw + first * panelValues;
                    for (int r = b0; r < b1; r += Rows)
                    {
                        ushort* a = pa + (long)r * kp;
                        if (p.Scalar)
                        {
                            for (int q = 0; q < width; q++)
                                Bf16TileScalar.Tile(a, kp, panel + q * panelValues, pairs, acc + q * Bf16Matrix.PanelWidth, Width);
                        }
                        else
                            Bf16TileDot512.Tile(a, kp, panel, panelValues, width, pairs, acc, Width, prefetchNext: b1 - b0 <= Rows);
                        Store(p, acc, r, Math.Min(Rows, m - r), col0, Math.Min(width * Bf16Matrix.PanelWidth, n - col0), n);
                    }
                }
            }
        }
    }

    // y[row0 + r, col0 .. col0 + cols] = acc[r, ..] + bias, then GELU on the registers (p.Gelu). The vector and the
    // scalar branch (the twin's) do the same float arithmetic per element: one add, then GeluOf, whose lanes equal its
    // scalar form bit for bit.
    private static void Store(in Product p, float* acc, int row0, int rows, int col0, int cols, int ldy)
    {
        float* bias = (float*)p.Bias, y = (float*)p.Y;
        bool gelu = p.Gelu, vector = !p.Scalar && Vector512.IsHardwareAccelerated;
        for (int r = 0; r < rows; r++)
        {
            float* ar = acc + r * Width, yr = y + (long)(row0 + r) * ldy + col0;
            int c = 0;
            if (vector)
            {
                for (; c <= cols - Vector512<float>.Count; c += Vector512<float>.Count)
                {
                    var v = Vector512.Load(ar + c);
                    if (bias != null) v += Vector512.Load(bias + col0 + c);
                    if (gelu) v = Kernels.Activations.GeluOf(v);
                    v.Store(yr + c);
                }
            }
            for (; c < cols; c++)
            {
                float v = ar[c];
                if (bias != null) v += bias[col0 + c];
                yr[c] = gelu ? Kernels.Activations.GeluOf(v) : v;
            }
        }
    }
}
