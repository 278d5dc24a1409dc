using System.Runtime.Intrinsics;

namespace Skald.Tensors.Gemm;

/// <summary>
/// Pure managed SIMD GEMM (BLIS loop nest, <see cref="GemmDriver"/>): packed A/B panels (AVX transposes where a panel
/// is strided), a register-tile micro-kernel (12×32 Vector512; 4×24 Vector256, the AVX2 default, or 6×16; 6×8
/// Vector128), KC/MC/NC cache blocking, and parallelism over row or column blocks (up to <see cref="MaxThreads"/>,
/// default <see cref="Parallelism.MaxThreads"/>). A constant B (a weight) can be packed once (<see cref="Pack"/>,
/// <see cref="SgemmPacked"/>). Every C element is the same FMA chain per K slice whatever the thread count or packing
/// path, so results are bit-identical across them (except that an unpacked x·Wᵀ with m ≤ 16 takes the dot product
/// path, <see cref="DotGemm"/>, with 16 lanes on AVX-512 and 8 with the AVX2 tiles); the AVX2 and Vector128 tiles share KC 256 and agree with each other, the
/// AVX-512 tile slices K 1024 deep (<see cref="KC512"/>). On AMX hosts an unpacked product inside a training scope (a
/// Linear on a tape in training mode, and its backward) is formed from six bfloat16 terms instead (<see cref="Quantization.SixTermProducts"/>:
/// as accurate, other bits; opt-in, SKALD_AMX_FP32=1). Packing buffers are per-thread and reused, so steady-state calls allocate
/// no packing memory.
/// </summary>
public sealed unsafe partial class ManagedGemm : IGemmBackend
{
    /// <summary>Products with fewer multiply-adds than this stay on the calling thread.</summary>
    private const long ParallelThreshold = 1L << 19;

    private readonly KernelSpec spec;
    private int maxThreads;

    /// <summary>The widest accelerated kernel, threads following <see cref="Parallelism.MaxThreads"/>.</summary>
    public ManagedGemm() : this(ManagedGemmKernel.Auto)
    {
    }

    /// <summary>A specific kernel (a kernel the CPU does not accelerate still computes correctly, slowly).</summary>
    public ManagedGemm(ManagedGemmKernel kernel)
    {
        Kernel = kernel == ManagedGemmKernel.Auto ? BestKernel() : kernel;
        spec = Spec(Kernel);
    }

    /// <summary>Depth of a K slice for the AVX-512 tile (the AVX2 and Vector128 tiles use 256).</summary>
    internal const int KC512 = 1024;

    /// <summary>A given kernel spec (benchmarks of tile and block variants; the spec's kernels must be bit-compatible).</summary>
    internal ManagedGemm(ManagedGemmKernel kernel, in KernelSpec spec)
    {
        Kernel = kernel;
        this.spec = spec;
    }

    /// <summary>The spec of <paramref name="kernel"/> (benchmarks start from it).</summary>
    internal static KernelSpec SpecOf(ManagedGemmKernel kernel) => Spec(kernel);

    /// <summary>The micro-kernel in use.</summary>
    public ManagedGemmKernel Kernel { get; }

    /// <inheritdoc />
    public string Name => spec.Name;

    /// <summary>Thread cap for one call; 0 (default) follows <see cref="Parallelism.MaxThreads"/>.</summary>
    public int MaxThreads
    {
        get => maxThreads;
        set => maxThreads = Math.Max(0, value);
    }

    private int ThreadCap => maxThreads > 0 ? maxThreads : Parallelism.MaxThreads;

    /// <summary>The widest kernel this CPU runs in hardware.</summary>
    public static ManagedGemmKernel BestKernel()
    {
        if (Vector512.IsHardwareAccelerated) return ManagedGemmKernel.Vector512;
        if (Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            return ManagedGemmKernel.Vector256Wide;
        return ManagedGemmKernel.Vector128;
    }

    private static KernelSpec Spec(ManagedGemmKernel kernel) => kernel switch
    {
        ManagedGemmKernel.Vector512 =>
            // KC 1024 (not 256): a BERT-base or Qwen2.5-0.5B Linear's whole K in one slice, fewer passes over C; 768
            // measured 7% less CPU per product than 256 and 3-6% per BERT forward, 1024 another 3-4% at Qwen's K 896
            // and the same at BERT's (bench/kernel, bench/README.md). Bits differ from the KC-256 AVX2 tiles.
            new KernelSpec("managed-avx512", MicroKernels.MR512, 32, KC512, 144, 512, &MicroKernels.Kernel12x32V512,
                &MicroKernels.Kernel12x32V512Direct),
        ManagedGemmKernel.Vector256 =>
            (new KernelSpec("managed-avx2-6x16", MicroKernels.MR, 16, 256, 144, 3072, &MicroKernels.Kernel6x16V256)),
        ManagedGemmKernel.Vector256Wide =>
            (new KernelSpec("managed-avx2", MicroKernels.MR4, 24, 256, 144, 3072, &MicroKernels.Kernel4x24V256)),
        _ => new KernelSpec("managed-v128", MicroKernels.MR, 8, 256, 96, 256, &MicroKernels.Kernel6x8V128),
    };

    /// <inheritdoc />
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var g = new GemmArgs
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
                Alpha = alpha, Beta = beta, A = pa, B = pb, C = pc,
            };
            if (Quantization.SixTermProducts.Takes(g)) Quantization.SixTermProducts.Run(g, ThreadCap); // training's, on AMX
            else Run(g, ThreadCap);
        }
    }

    /// <summary>
    /// C = A·op(B) + bias (on every row): bit-identical to copying the bias into each row of C and running
    /// <see cref="Sgemm"/> with beta 1, with the bias placed in each tile by the parallel product instead of a serial
    /// pass over C first (a training step's Linear layers, whose weights change every step and are not pre-packed).
    /// </summary>
    internal void SgemmBias(bool transB, int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        GemmChecks.Validate(false, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length);
        if (bias.Length < n) throw new ArgumentException($"bias needs {n} elements.", nameof(bias));
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var g = new GemmArgs
            {
                TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
                Alpha = 1f, Beta = 1f, A = pa, B = pb, C = pc, Bias = pbias,
            };
            if (Quantization.SixTermProducts.Takes(g))
            {
                Quantization.SixTermProducts.Run(g, ThreadCap); // training's, on AMX
                return;
            }
            if (DotGemm.Applicable(g, Kernel))
            {
                // The few-row product has no tiles to place the bias in: C filled first, as before.
                for (int i = 0; i < m; i++) bias[..n].CopyTo(c.Slice(i * ldc, n));
                g.Bias = null;
            }
            Run(g, ThreadCap);
        }
    }

    /// <summary>
    /// Packs op(B) (k×n; <paramref name="b"/> is [k, n] with row stride <paramref name="ldb"/>, or [n, k] when
    /// <paramref name="transB"/>) once, for <see cref="SgemmPacked"/> with this kernel.
    /// </summary>
    public PackedMatrix Pack(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (k < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(k), "GEMM dimensions must be >= 0.");
        int rows = transB ? n : k, cols = transB ? k : n;
        if (ldb < Math.Max(1, cols)) throw new ArgumentOutOfRangeException(nameof(ldb), $"ldb={ldb} < {cols}.");
        long need = GemmChecks.Extent(rows, cols, ldb);
        if (need > b.Length) throw new ArgumentException($"GEMM operand 'b' needs {need} elements but has {b.Length}.", nameof(b));
        return PackedMatrix.Create(spec, transB, k, n, b, ldb);
    }

    /// <summary>
    /// A Linear weight W [<paramref name="n"/>, <paramref name="k"/>] (row-major) packed as op(B) = Wᵀ for the fused
    /// packed product: where the six-term product runs on this thread (<see cref="Quantization.SixTermGemm.Enabled"/>), a
    /// weight whose every value is a bfloat16 (a bfloat16 checkpoint's) as its first piece alone, no float32 panels
    /// (2 bytes a weight, multiplied from three terms: <see cref="Quantization.SixTermMatrix.Bf16Exact"/>); any other as its
    /// float32 panels (4 bytes a weight), its pieces split from them per product (<see cref="Quantization.SixTermMatrix.For"/>;
    /// with <see cref="Quantization.SixTermGemm.Bf16WeightsOnly"/> multiplied by the FMA kernels), or, for panels not 32
    /// wide (a kernel asked for) or when <paramref name="holdPieces"/> (<see cref="Quantization.SixTermGemm.HoldPieces"/>:
    /// a model small enough to spend memory on speed, <see cref="Autograd.Tape.HoldWeightPieces"/>), as its three bfloat16
    /// pieces only (6 bytes a weight) when every value comes back from them bit for bit
    /// (<see cref="Quantization.SixTermMatrix.Lossless"/>), else the panels with the pieces beside them; or, for a model
    /// at "high" precision (<paramref name="high"/>) holding its pieces, its first two pieces only (4 bytes a weight, no
    /// panels: all <see cref="Quantization.HighTileAmx"/> reads; its products then run at "high" whatever a call asks, and
    /// its values read back are those two pieces' sums, <see cref="Quantization.SixTermMatrix.PieceCount"/>);
    /// elsewhere <see cref="Pack"/>(true, k, n, w, k).
    /// </summary>
    internal PackedMatrix PackForLinear(ReadOnlySpan<float> w, int n, int k, bool holdPieces, bool high = false)
    {
        if (!Quantization.SixTermGemm.Enabled || n == 0 || k == 0) return Pack(true, k, n, w, k);
        if ((Quantization.SixTermGemm.Bf16WeightsOnly || spec.NR == Quantization.SixTermLayout.Block && !Quantization.SixTermGemm.HoldPieces(holdPieces))
            && !Quantization.SixTermMatrix.AllBf16(w, n, k)) return Pack(true, k, n, w, k);
        var pieces = Quantization.SixTermMatrix.FromRows(w, n, k, high ? 2 : 3);
        if (pieces.Lossless || pieces.PieceCount == 2) return PackedMatrix.PiecesOnly(spec, pieces);
        var packed = Pack(true, k, n, w, k);
        packed.KeepBeside(pieces);
        return packed;
    }

    // b itself when it holds its float32 panels; for a pieces-only weight (PackForLinear) a float32 packing of its values
    // read back from the pieces (the same bits), made for this call: the FMA kernels asked for on a thread
    // (SixTermGemm.Override −1) or a product the six-term path does not run. Allocates; never on the default path.
    private PackedMatrix WithPanels(PackedMatrix b)
    {
        if (b.HasPanels) return b;
        var values = new float[(long)b.N * b.K];
        PackedUnpack.CopyRowMajor(b, 0, values);
        return Pack(true, b.K, b.N, values, b.K);
    }

    /// <summary>
    /// Packs op(B) into <paramref name="packed"/> again (made by <see cref="Pack"/> for this kernel with the same k and
    /// n), allocating nothing: the products then read the new B.
    /// </summary>
    public void PackInto(PackedMatrix packed, bool transB, ReadOnlySpan<float> b, int ldb)
    {
        ArgumentNullException.ThrowIfNull(packed);
        if (!Accepts(packed)) throw new ArgumentException($"B was packed for {packed.Kernel}, not {Name}.", nameof(packed));
        int rows = transB ? packed.N : packed.K, cols = transB ? packed.K : packed.N;
        if (ldb < Math.Max(1, cols)) throw new ArgumentOutOfRangeException(nameof(ldb), $"ldb={ldb} < {cols}.");
        long need = GemmChecks.Extent(rows, cols, ldb);
        if (need > b.Length) throw new ArgumentException($"GEMM operand 'b' needs {need} elements but has {b.Length}.", nameof(b));
        packed.Fill(transB, b, ldb);
    }

    /// <summary>Whether <see cref="SgemmPacked"/> takes <paramref name="packed"/> (packed for this kernel).</summary>
    public bool Accepts(PackedMatrix packed) => packed is not null && packed.Kernel == Name && packed.NR == spec.NR;

    /// <summary>
    /// C = alpha·op(A)·B + beta·C with B pre-packed (<see cref="Pack"/>; its K and N are the product's k and n):
    /// bit-identical to <see cref="Sgemm"/> on the unpacked matrix, at any thread count.
    /// </summary>
    public void SgemmPacked(bool transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc) => SgemmPackedThen(transA, m, alpha, a, lda, b, beta, c, ldc, null);

    /// <summary>
    /// <see cref="SgemmPacked"/> with an in-place tile map (c, ldc, rows, cols) applied to every tile of C after its last K
    /// slice (null: none).
    /// </summary>
    internal void SgemmPackedThen(bool transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, delegate*<float*, int, int, int, void> epilogue)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!Accepts(b)) throw new ArgumentException($"B was packed for {b.Kernel}, not {Name}.", nameof(b));
        int n = b.N, k = b.K;
        GemmChecks.Validate(transA, false, m, n, k, lda, Math.Max(1, n), ldc, a.Length, long.MaxValue, c.Length);
        if (m == 0 || n == 0) return;
        b = WithPanels(b);
        fixed (float* pa = a, pc = c)
        {
            var g = new GemmArgs
            {
                TransA = transA, M = m, N = n, K = k, Lda = lda, Ldb = n, Ldc = ldc,
                Alpha = alpha, Beta = beta, A = pa, C = pc, PackedB = b.Panels, Epilogue = epilogue,
            };
            Run(g, ThreadCap);
            GC.KeepAlive(b);
        }
    }

    /// <summary>
    /// Whether <see cref="SgemmPackedFused"/> multiplies <paramref name="b"/> from its bfloat16 pieces on this thread
    /// (<see cref="Quantization.SixTermGemm.Enabled"/>, unless <see cref="Quantization.SixTermGemm.Bf16WeightsOnly"/>
    /// keeps a weight that has panels on the FMA kernels): the one rule, so nothing makes pieces beside those panels.
    /// </summary>
    internal static bool MultipliesOnSixTerms(PackedMatrix b) =>
        Quantization.SixTermGemm.Enabled && !(b.HasPanels && Quantization.SixTermGemm.Bf16WeightsOnly);

    /// <summary>
    /// C = A·B + bias (every row; <paramref name="bias"/> empty: none) with B pre-packed, in one parallel pass that
    /// also applies <paramref name="epilogue"/> to every finished tile (null: none) and calls
    /// <paramref name="rowsDone"/>(<paramref name="context"/>, row0, row1) once per block of final rows (null: none;
    /// the threads then split C by rows, so each block is whole rows). The bias is placed in each tile just before its
    /// first K slice: bit-identical to copying it into C and running <see cref="SgemmPacked"/> with beta 1. Where
    /// <see cref="Quantization.SixTermGemm.Enabled"/> (AMX hosts; SKALD_AMX_FP32=0 turns it off) the product is formed from six bfloat16 terms instead
    /// (as accurate, other bits), the bias added to its sums (with <see cref="Quantization.SixTermGemm.Bf16WeightsOnly"/>,
    /// for a weight held as its pieces only; one with panels then takes the FMA kernels); a weight held as its pieces only (<see cref="PackForLinear"/>)
    /// on a thread where it is off is multiplied by the FMA kernels from its values read back (the same bits as its panels).
    /// </summary>
    internal void SgemmPackedFused(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, ReadOnlySpan<float> bias,
        Span<float> c, int ldc, delegate*<float*, int, int, int, void> epilogue, delegate*<void*, int, int, void> rowsDone,
        void* context)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (!Accepts(b)) throw new ArgumentException($"B was packed for {b.Kernel}, not {Name}.", nameof(b));
        int n = b.N, k = b.K;
        GemmChecks.Validate(false, false, m, n, k, lda, Math.Max(1, n), ldc, a.Length, long.MaxValue, c.Length);
        if (!bias.IsEmpty && bias.Length < n) throw new ArgumentException($"bias needs {n} elements.", nameof(bias));
        if (m == 0 || n == 0) return;
        if (MultipliesOnSixTerms(b))
        {
            // On AMX: the float32 product from six bfloat16 terms (every row count, so a row's sums never depend on its batch).
            Quantization.SixTermGemm.Run(m, a, lda, b.SixTerm, bias, c, ldc, epilogue, rowsDone, context);
            return;
        }
        b = WithPanels(b);
        fixed (float* pa = a, pc = c, pbias = bias)
        {
            var g = new GemmArgs
            {
                M = m, N = n, K = k, Lda = lda, Ldb = n, Ldc = ldc, Alpha = 1f, Beta = 0f, A = pa, C = pc,
                PackedB = b.Panels, Epilogue = epilogue, Bias = bias.IsEmpty ? null : pbias,
                RowsDone = rowsDone, RowsDoneContext = context,
            };
            Run(g, ThreadCap);
            GC.KeepAlive(b);
        }
    }

    /// <inheritdoc />
    /// <remarks>B's panels are widened while packed (no float32 copy of B); an x·Wᵀ with few rows takes <see cref="DotGemm"/>,
    /// which widens the weight rows in registers as it reads them.</remarks>
    public void SgemmBf16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm16(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc />
    /// <remarks>As <see cref="SgemmBf16"/>: B's panels are widened while packed.</remarks>
    public void SgemmF16(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm16(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    private void Sgemm16(bool half, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a, pc = c)
        fixed (ushort* pb = b)
        {
            var g = new GemmArgs
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
                Alpha = alpha, Beta = beta, A = pa, B16 = pb, B16Half = half, C = pc,
            };
            Run(g, ThreadCap);
        }
    }

    /// <inheritdoc />
    public void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        GemmChecks.Validate(transA, transB, m, n, k, lda, ldb, ldc, a.Length, b.Length, c.Length,
            strideA, strideB, strideC, batch);
        if (m == 0 || n == 0 || batch == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var g = new GemmArgs
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
                Alpha = alpha, Beta = beta, A = pa, B = pb, C = pc,
            };
            int threads = ThreadCap;
            if (threads <= 1 || batch < threads)
            {
                for (int i = 0; i < batch; i++) Run(Offset(g, i, strideA, strideB, strideC), threads);
                return;
            }
            long perItem = (long)m * n * Math.Max(k, 1);
            int minPerThread = (int)Math.Clamp(ParallelThreshold / Math.Max(perItem, 1), 1, batch);
            var region = new Region { Spec = spec, G = g, StrideA = strideA, StrideB = strideB, StrideC = strideC };
            ParallelRanges(batch, minPerThread, threads, true, region, static (in Region r, int start, int end) =>
            {
                for (int i = start; i < end; i++)
                {
                    var gi = Offset(r.G, i, r.StrideA, r.StrideB, r.StrideC);
                    GemmDriver.Run(r.Spec, gi, 0, gi.M, 0, gi.N);
                }
            });
        }
    }

    /// <summary>Single-threaded product on raw pointers (for kernels that already parallelise, e.g. attention).</summary>
    internal void SgemmSingleThread(in GemmArgs g)
    {
        if (g.M == 0 || g.N == 0) return;
        if (DotGemm.Applicable(g, Kernel))
        {
            DotGemm.Run(g, Kernel, 0, g.N);
            return;
        }
        GemmDriver.Run(spec, g, 0, g.M, 0, g.N);
    }
}
