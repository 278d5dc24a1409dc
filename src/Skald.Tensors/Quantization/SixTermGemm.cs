using System.Numerics.Tensors;

namespace Skald.Tensors.Quantization;

/// <summary>
/// The float32 inference product y[m, N] = x[m, K] · Wᵀ (+ bias, then a tile map and a per-row finish, as
/// <see cref="Gemm.ManagedGemm"/>'s fused packed product) formed on AMX from bfloat16 pieces: x and W each split into three
/// (<see cref="SixTermLayout"/>; W once, <see cref="SixTermMatrix"/>, or, for a W held as its float32 panels
/// (<see cref="SixTermMatrix.SplitsPerCall"/>), per call, a group of panel pairs × a k block at a time into each thread's
/// own buffer; x per call, vectorised, into reused buffers: each
/// thread's own, <see cref="RowPiecesBlocks"/> row blocks at a time, when the threads split rows, else the caller's), and the six terms x1w1, x1w2, x1w3, x2w1, x2w2, x3w1 summed by <c>tdpbf16ps</c> in float32
/// (<see cref="SixTermTileAmx"/>; twin <see cref="SixTermTileScalar"/>), or, for a W whose every value is a bfloat16
/// (<see cref="SixTermMatrix.Bf16Exact"/>, held as its first piece alone), the three of them with a nonzero W piece
/// (<see cref="ThreeTermTileAmx"/>: the same sums). The three dropped terms are each below 2^-24
/// of their product; against float64 the result's error is about half the FMA kernels' (bench/amx
/// <c>--bf16-accuracy</c>, docs/performance.md 2026-12-07). Work splits over 32-row blocks (each thread splits its own
/// rows, runs every panel pair over them and finishes them while in cache) or, with fewer blocks than threads can
/// share, over panel pairs; k runs in blocks of <see cref="KcChunks"/> chunks, a later block loading the sums the tile
/// stored into y, panel pairs in groups of <see cref="GroupPairs"/> per sweep of row blocks (so W's pieces of a sweep
/// stay in L2). A row's sums do not depend on the other rows of the call (each row is its own tile row, whatever the
/// row count) nor on the thread count. A call allocates nothing once its buffers have grown.
/// </summary>
internal static unsafe partial class SixTermGemm
{
    private const int Block = SixTermLayout.Block;

    /// <summary>Chunks of a k block (768 deep: bench/amx --six-term-gemm, 1.3–1.6× the FMA GEMM, against 1.0–1.2× with none).</summary>
    internal const int KcChunks = 24;

    /// <summary>Panel pairs a sweep of row blocks takes (16 panels, the prototype's G).</summary>
    internal const int GroupPairs = 8;

    private const int RowSplitBlocksPerThread = 2;

    /// <summary>Row blocks whose x pieces a thread holds at once when the threads split the rows (512 rows).</summary>
    internal const int RowPiecesBlocks = 16;

    /// <summary>
    /// Row blocks whose x pieces a thread holds at once in a row-split region: <see cref="RowPiecesBlocks"/>, or
    /// SKALD_SIXTERM_PIECES's count (bench A/B only; the same bits at any count: a row's sums never depend on the others).
    /// </summary>
    internal static readonly int PiecesBlocks = Knob("SKALD_SIXTERM_PIECES", RowPiecesBlocks);

    /// <summary>
    /// SKALD_SIXTERM_CHUNK: the row blocks a chunk of a row-split region takes at least, instead of
    /// <see cref="ChunkFloor"/>'s (bench A/B only; 1 is Parallelism's guided chunks, the rule before 2026-12-08; the
    /// same bits at any count). 0: not set.
    /// </summary>
    internal static readonly int ChunkBlocks = Knob("SKALD_SIXTERM_CHUNK", 0);

    /// <summary>For tests: on this thread, the chunk floor of its row-split regions (0: <see cref="ChunkFloor"/>'s rule).</summary>
    [ThreadStatic] internal static int ChunkOverride;

    /// <summary>
    /// The row blocks a chunk of a region that splits <paramref name="blocks"/> row blocks over the threads takes at
    /// least: a thread's share, at most <see cref="PiecesBlocks"/>. Each chunk sweeps all of W's pieces once per
    /// <see cref="PiecesBlocks"/> of its blocks (42 MB a BERT-base layer, from L3 or memory), so chunks as large as the
    /// pieces buffer holds: at batch 32 × 32 (32 blocks, 2 threads) two halves, one sweep a thread, where Parallelism's
    /// guided chunks of 1–4 blocks swept W 12 times a product (docs/performance.md 2026-12-08: 1.17× tokens per CPU
    /// s at 12×768 seq 32, median of 20 pairs); at 128 blocks chunks of 16 as before. A row's sums never depend on the
    /// chunks.
    /// </summary>
    internal static int ChunkFloor(int blocks, int threads)
    {
        if (ChunkOverride > 0) return ChunkOverride;
        if (ChunkBlocks > 0) return ChunkBlocks;
        return Math.Clamp(blocks / Math.Max(1, threads), 1, PiecesBlocks);
    }

    private static int Knob(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    [ThreadStatic] private static ushort[]? xPieces; // the caller's: all of x, when the threads split panel pairs
    [ThreadStatic] private static ushort[]? rowPieces; // a thread's own row blocks, at most RowPiecesBlocks, when they split rows
    [ThreadStatic] private static float[]? edge;

    private static readonly string? Setting = Environment.GetEnvironmentVariable("SKALD_AMX_FP32");

    private static readonly bool ByDefault = SixTermTileAmx.IsSupported && Setting != "0";

    /// <summary>
    /// SKALD_AMX_FP32=pieces: every float32 weight holds its three bfloat16 pieces, made once (6 bytes a weight), instead
    /// of its float32 panels split per product (4 bytes a weight; <see cref="SixTermMatrix.For"/>): the same bits, faster
    /// by the split's share of each product (docs/performance.md 2026-12-07, split per product), whatever
    /// <see cref="HoldPieces"/> is asked.
    /// </summary>
    internal static readonly bool HoldsPieces = Setting == "pieces";

    /// <summary>
    /// Whether a Linear weight packed for inference holds its three pieces (<see cref="Gemm.ManagedGemm"/>'s PackForLinear):
    /// as the model asked (<paramref name="asked"/>: <see cref="Autograd.Tape.HoldWeightPieces"/>, set by a model whose
    /// float32 weights are small enough), always with SKALD_AMX_FP32=pieces (<see cref="HoldsPieces"/>), never with
    /// SKALD_AMX_FP32=split (for A/B runs of the two layouts).
    /// </summary>
    internal static bool HoldPieces(bool asked) => HoldsPieces || asked && Setting != "split";

    /// <summary>For tests: on this thread 1 turns <see cref="Bf16WeightsOnly"/> on, -1 off, 0 leaves it to the process.</summary>
    [ThreadStatic] internal static int Bf16WeightsOnlyOverride;

    /// <summary>
    /// SKALD_AMX_FP32=bf16: where <see cref="Enabled"/>, only a weight whose every value is a bfloat16 (a bfloat16
    /// checkpoint's: <see cref="SixTermMatrix.Bf16Exact"/>, 2 bytes a weight, three terms) is packed as pieces and
    /// multiplied here; any other keeps its float32 panels (4 bytes a weight, not 6) and the FMA kernels. Or as this
    /// thread's <see cref="Bf16WeightsOnlyOverride"/> says.
    /// </summary>
    internal static bool Bf16WeightsOnly => Bf16WeightsOnlyOverride != 0 ? Bf16WeightsOnlyOverride > 0 : Setting == "bf16";

    /// <summary>For tests: on this thread 1 turns the six-term product on, -1 off, 0 leaves <see cref="Enabled"/> to the process.</summary>
    [ThreadStatic] internal static int Override;

    /// <summary>
    /// Whether the packed float32 Linear runs here (<see cref="Gemm.ManagedGemm"/>'s fused packed product): wherever
    /// AMX-BF16 runs, unless SKALD_AMX_FP32=0 (or SKALD_AMX=0, all of AMX) turns it off, or as this thread's
    /// <see cref="Override"/> says. Where it runs, a Linear weight packed for it keeps its float32 panels (4 bytes a weight,
    /// its pieces split per product) or, a bfloat16 one, its first pieces alone (2 bytes;
    /// <see cref="Gemm.ManagedGemm.PackForLinear"/>; with <see cref="Bf16WeightsOnly"/> only the bfloat16 ones multiply here).
    /// </summary>
    internal static bool Enabled => Override != 0 ? Override > 0 : ByDefault;

    /// <summary>For tests: this thread's products through the scalar twin (split and tile); false in production.</summary>
    [ThreadStatic] internal static bool ScalarTwin;

    /// <summary>SKALD_AMX_FP32=high: every product here at <see cref="Float32MatmulPrecision.High"/>, whatever a model asks.</summary>
    internal static readonly bool HighByProcess = Setting == "high";

    [ThreadStatic] private static int high;

    /// <summary>
    /// Whether this thread's products here run at <see cref="Float32MatmulPrecision.High"/> (<see cref="HighTileAmx"/>:
    /// three terms from two pieces a side) rather than from six terms: inside a <see cref="MatmulPrecisionScope"/> that
    /// asks for it (an inference tape's <see cref="Autograd.Tape.Float32Matmul"/>), or for the whole process with
    /// SKALD_AMX_FP32=high (<see cref="HighByProcess"/>). A W whose every value is a bfloat16 keeps its three-term tile
    /// (<see cref="ThreeTermTileAmx"/>: already exact). Read once a call, on the calling thread.
    /// </summary>
    internal static bool High => high > 0 || HighByProcess;

    /// <summary>Sets this thread's precision (<see cref="High"/> when <paramref name="on"/>); returns what <see cref="RestoreHigh"/> takes.</summary>
    internal static int EnterHigh(bool on)
    {
        int was = high;
        high = on ? 1 : 0;
        return was;
    }

    /// <summary>Puts back the precision <see cref="EnterHigh"/> replaced.</summary>
    internal static void RestoreHigh(int was) => high = was;

    // A product's arguments for the static parallel bodies. High: at "high" precision (asked, or W held as two pieces).
    private readonly record struct Product(SixTermMatrix W, nint X, int Lda, int M, nint Pieces, nint Bias, nint C, int Ldc,
        nint Epilogue, nint RowsDone, nint Context, bool Scalar, bool High)
    {
        // x's pieces the tile reads (two at "high", else three: the three-term tile of a bfloat16-exact W reads three),
        // W's a split per call makes (never bfloat16-exact), and the values of a step of x's.
        public int XPieces => High && !W.Bf16Exact ? 2 : 3;

        public int XStepValues => SixTermLayout.StepValuesOf(XPieces);
    }

    // Whether a product over `w` runs at "high": this thread's setting, or a W that holds only the two pieces "high" reads.
    private static bool HighFor(SixTermMatrix w, bool high) => high || w.PieceCount == 2;

    /// <summary>
    /// c[m, N] = a[m, K] · Wᵀ + bias (empty: none; rows <paramref name="lda"/> and <paramref name="ldc"/> apart), then
    /// <paramref name="epilogue"/>(c, ldc, rows, cols) over every finished block (null: none) and
    /// <paramref name="rowsDone"/>(<paramref name="context"/>, row0, row1) once per block of final rows (null: none).
    /// </summary>
    public static void Run(int m, ReadOnlySpan<float> a, int lda, SixTermMatrix w, ReadOnlySpan<float> bias, Span<float> c,
        int ldc, delegate*<float*, int, int, int, void> epilogue, delegate*<void*, int, int, void> rowsDone, void* context)
    {
        if (m <= 0 || w.N == 0) return;
        fixed (float* pa = a, pb = bias, pc = c)
            RunProduct(new Product(w, (nint)pa, lda, m, 0, bias.IsEmpty ? 0 : (nint)pb, (nint)pc, ldc,
                (nint)epilogue, (nint)rowsDone, (nint)context, ScalarTwin, HighFor(w, High)));
    }

    /// <summary>
    /// One product of <see cref="RunChain"/>: <see cref="Run"/>'s arguments, as addresses the caller holds fixed
    /// (<paramref name="Bias"/> 0: none; <paramref name="Epilogue"/>, <paramref name="RowsDone"/> 0: none).
    /// </summary>
    internal readonly record struct Stage(SixTermMatrix W, nint X, int Lda, nint Bias, nint C, int Ldc, nint Epilogue,
        nint RowsDone, nint Context);

    // A chain's three products for the static parallel body.
    private readonly record struct Chain(Product First, Product Second, Product Third);

    /// <summary>
    /// Three row-local products over the same <paramref name="m"/> rows, each reading rows the ones before it finished
    /// (BERT's attention output, FFN up and FFN down with their epilogues and row finishes), in one parallel region
    /// where the threads would split rows: each thread runs the first, second and third over its own row blocks in turn,
    /// while those rows are in its cache, instead of a region, a join and a wake-up a product. Fewer row blocks than
    /// that: the three one after another, as <see cref="Run"/>. The same bits as three <see cref="Run"/> calls (a row's
    /// sums never depend on the other rows, nor on the thread count).
    /// </summary>
    internal static void RunChain(int m, in Stage first, in Stage second, in Stage third)
    {
        if (m <= 0) return;
        bool scalar = ScalarTwin, high = High;
        Product Of(in Stage s) => new(s.W, s.X, s.Lda, m, 0, s.Bias, s.C, s.Ldc, s.Epilogue, s.RowsDone, s.Context, scalar, HighFor(s.W, high));
        var chain = new Chain(Of(first), Of(second), Of(third));
        if ((m + Block - 1) / Block < RowSplitBlocksPerThread * Parallelism.MaxThreads
            || first.W.N == 0 || second.W.N == 0 || third.W.N == 0)
        {
            RunProduct(chain.First);
            RunProduct(chain.Second);
            RunProduct(chain.Third);
            return;
        }
        ForRowBlocks((m + Block - 1) / Block, first.W.SplitsPerCall || second.W.SplitsPerCall || third.W.SplitsPerCall, chain,
            static (in Chain c, int b0, int b1) =>
        {
            for (int s0 = b0; s0 < b1; s0 += PiecesBlocks)
            {
                int s1 = Math.Min(b1, s0 + PiecesBlocks);
                Rows(c.First, s0, s1);
                Rows(c.Second, s0, s1);
                Rows(c.Third, s0, s1);
            }
        });
    }

    private static void RunProduct(in Product p0)
    {
        int m = p0.M, blocks = (m + Block - 1) / Block;
        if (m <= 0 || p0.W.N == 0) return;
        var p = p0;
        if (blocks >= RowSplitBlocksPerThread * Parallelism.MaxThreads)
        {
            // Each thread splits its own row blocks, at most PiecesBlocks at a time, into its own buffer (not
            // all of x into one: 6 bytes a value of x, 75 MB for 4,096 rows × 3,072), multiplies and finishes them.
            ForRowBlocks(blocks, p.W.SplitsPerCall, p, static (in Product p, int b0, int b1) => Rows(p, b0, b1));
            return;
        }
        p = p with { Pieces = Buffer(ref xPieces, blocks * (long)p.W.Chunks * p.XStepValues) };
        Parallelism.For(blocks, 1, p, static (in Product p, int b0, int b1) => Split(p, b0, b1));
        Parallelism.For(p.W.Pairs, 1, p, static (in Product p, int q0, int q1) =>
        {
            int blocks = (p.M + Block - 1) / Block;
            Compute(p, 0, blocks, q0, q1);
            Finish(p, 0, blocks, q0, q1);
        });
        if (p.RowsDone != 0)
            Parallelism.For(m, Math.Max(1, 16384 / p.W.N), p, static (in Product p, int r0, int r1) =>
                ((delegate*<void*, int, int, void>)p.RowsDone)((void*)p.Context, r0, r1));
    }

    // Row blocks [b0, b1) on this thread, at most PiecesBlocks at a time: split into this thread's own buffer,
    // multiplied, finished, and handed to RowsDone.
    private static void Rows(in Product p, int b0, int b1)
    {
        long blockValues = (long)p.W.Chunks * p.XStepValues;
        for (int s0 = b0; s0 < b1; s0 += PiecesBlocks)
        {
            int s1 = Math.Min(b1, s0 + PiecesBlocks);
            // Pieces placed so that block b's are at Pieces + b · blockValues, as Split and Compute index them.
            var q = p with { Pieces = Buffer(ref rowPieces, (s1 - s0) * blockValues) - (nint)(s0 * blockValues * sizeof(ushort)) };
            Split(q, s0, s1);
            Compute(q, s0, s1, 0, q.W.Pairs);
            Finish(q, s0, s1, 0, q.W.Pairs);
            if (q.RowsDone != 0)
                ((delegate*<void*, int, int, void>)q.RowsDone)((void*)q.Context, s0 * Block, Math.Min(q.M, s1 * Block));
        }
    }

    // Row blocks [b0, b1) of x split into their pieces.
    private static void Split(in Product p, int b0, int b1)
    {
        long blockValues = (long)p.W.Chunks * p.XStepValues;
        for (int b = b0; b < b1; b++)
            SixTermLayout.SplitRows((float*)p.X + (long)b * Block * p.Lda, p.Lda, Math.Min(Block, p.M - b * Block), p.W.K,
                (ushort*)p.Pieces + b * blockValues, vector: !p.Scalar, p.XPieces);
    }

    // Row blocks [b0, b1) × panel pairs [q0, q1) into C: whole tiles stored by the tile into C, k block by k block;
    // a ragged tile (a last block of fewer than 32 rows, a last pair of fewer than 32 columns) over all of k into
    // this thread's edge buffer, then its rows and columns copied.
    private static void Compute(in Product p, int b0, int b1, int q0, int q1)
    {
        if (p.W.SplitsPerCall)
        {
            ComputeSplitting(p, b0, b1, q0, q1);
            return;
        }
        var w = p.W;
        int chunks = w.Chunks, fullPairs = w.N / Block;
        long blockValues = (long)chunks * p.XStepValues, pairValues = w.PairBytes / sizeof(ushort);
        float* c = (float*)p.C;
        var args = new SixTermTileAmx.Args { LdcBytes = (long)p.Ldc * sizeof(float), PairBytes = w.PairBytes };
        int wholeEnd = Math.Min(q1, fullPairs);
        for (int kb = 0; kb < chunks && wholeEnd > q0; kb += KcChunks)
        {
            for (int g0 = q0; g0 < wholeEnd; g0 += GroupPairs)
            {
                int g1 = Math.Min(wholeEnd, g0 + GroupPairs);
                for (int b = b0; b < b1; b++)
                {
                    if (p.M - b * Block < Block) continue;
                    args.A = (ushort*)p.Pieces + b * blockValues + (long)kb * p.XStepValues;
                    args.B = w.Pieces + g0 * pairValues + (long)kb * w.StepValues;
                    args.Steps = Math.Min(KcChunks, chunks - kb);
                    args.Acc = c + (long)b * Block * p.Ldc + g0 * Block;
                    args.Accumulate = kb;
                    args.Tiles = g1 - g0;
                    Tile(&args, p.Scalar, w.Bf16Exact, p.High, w.PieceCount);
                }
            }
        }
        float* scratch = Edge();
        for (int b = b0; b < b1; b++)
        {
            int rows = Math.Min(Block, p.M - b * Block);
            int first = rows < Block ? q0 : Math.Max(q0, wholeEnd);
            for (int g0 = first; g0 < q1; g0 += GroupPairs)
            {
                int g1 = Math.Min(q1, g0 + GroupPairs), cols = Math.Min(w.N, g1 * Block) - g0 * Block;
                args.A = (ushort*)p.Pieces + b * blockValues;
                args.B = w.Pieces + g0 * pairValues;
                args.Steps = chunks;
                args.Acc = scratch;
                args.LdcBytes = GroupPairs * Block * sizeof(float);
                args.Accumulate = 0;
                args.Tiles = g1 - g0;
                Tile(&args, p.Scalar, w.Bf16Exact, p.High, w.PieceCount);
                for (int r = 0; r < rows; r++)
                    new ReadOnlySpan<float>(scratch + r * GroupPairs * Block, cols)
                        .CopyTo(new Span<float>(c + ((long)b * Block + r) * p.Ldc + g0 * Block, cols));
            }
        }
    }

    // One call of the tile, or of its twin (asked for, on a CPU without AMX (a test's Override), or on a thread that cannot
    // run tiles: the same bits); for a W held as its first piece alone (SixTermMatrix.Bf16Exact), the three-term tile;
    // else at "high" precision (High, captured by the call) the high tile over x's two pieces and W's `wPieces` (2 or 3).
    private static void Tile(SixTermTileAmx.Args* args, bool scalar, bool threeTerms, bool high, int wPieces)
    {
        if (threeTerms) ThreeTermTileAmx.Run(args, scalar);
        else if (high) HighTileAmx.Run(args, scalar, wPieces);
        else if (scalar || !SixTermTileAmx.IsSupported || !SixTermTileAmx.Run(args)) SixTermTileScalar.Run(args);
    }

    // A thread's buffer of at least `values` values, grown as needed, 64-byte aligned (pinned: the address holds).
    private static nint Buffer<T>(ref T[]? buffer, long values) where T : unmanaged
    {
        if (buffer is null || buffer.Length < values + 32)
            buffer = GC.AllocateUninitializedArray<T>((int)Math.Max(values + 32, (buffer?.Length ?? 0) * 3L / 2), pinned: true);
        fixed (T* b = buffer) return ((nint)b + 63) & ~(nint)63;
    }

    // This thread's edge buffer: 32 rows × a group's columns.
    private static float* Edge()
    {
        edge ??= GC.AllocateUninitializedArray<float>(Block * GroupPairs * Block + 16, pinned: true);
        fixed (float* e = edge) return (float*)(((nint)e + 63) & ~(nint)63);
    }

    // The bias added to rows of blocks [b0, b1) in pairs [q0, q1), then the tile map over them.
    private static void Finish(in Product p, int b0, int b1, int q0, int q1)
    {
        if (p.Bias == 0 && p.Epilogue == 0) return;
        int col0 = q0 * Block, cols = Math.Min(p.W.N, q1 * Block) - col0;
        if (cols <= 0) return;
        for (int b = b0; b < b1; b++)
        {
            int rows = Math.Min(Block, p.M - b * Block);
            float* c = (float*)p.C + (long)b * Block * p.Ldc + col0;
            if (p.Bias != 0)
            {
                var bias = new ReadOnlySpan<float>((float*)p.Bias + col0, cols);
                for (int r = 0; r < rows; r++)
                {
                    var row = new Span<float>(c + (long)r * p.Ldc, cols);
                    TensorPrimitives.Add(row, bias, row);
                }
            }
            if (p.Epilogue != 0) ((delegate*<float*, int, int, int, void>)p.Epilogue)(c, p.Ldc, rows, cols);
        }
    }
}
