using System.Numerics.Tensors;
using Skald.Tensors.Gemm;

namespace Skald.Tensors.Quantization;

/// <summary>
/// Training's float32 products on AMX from six bfloat16 terms: C = op(A)·op(B) (+ C, or + a bias row) for the three
/// products of a Linear, y = x·Wᵀ, dx = dy·W and dW += dyᵀ·x, where both operands change every step. Both are split
/// per call (<see cref="SixTermLayout"/>; a transposed operand through a 32 × 32 square in the worker's cache, never a
/// transposed copy) into buffers reused from call to call, and the six terms summed by <c>tdpbf16ps</c>
/// (<see cref="SixTermTileAmx"/>; twin <see cref="SixTermTileScalar"/>), as <see cref="SixTermGemm"/> does for the packed
/// inference weight. k runs in blocks of <see cref="BlockChunks"/> chunks: per block, op(B)'s pieces split over
/// the threads, then row blocks (in groups of <see cref="RowGroupBlocks"/>, bounding the pieces of op(A) held) split
/// and multiplied by the thread that owns them, or, with fewer row blocks than threads can share, split first and the
/// panel pairs shared out; a product with many row blocks and a small op(B) (a step's y and dx) instead in one parallel
/// region, each worker splitting all of op(B) itself (SixTermProducts.Owned.cs). Each 32 × 32 tile of C belongs to one thread for a whole k block and the k blocks run in
/// order, a later one loading the sums the earlier stored: a fixed summation order whatever the threads. Against
/// float64 the error is about half the FMA kernels' (docs/performance.md, 2026-12-07).
/// <para>
/// Routing: <see cref="ManagedGemm"/>'s unpacked entry hands a product here when <see cref="Takes"/> says so: on this
/// thread a training scope is open (<see cref="Enter"/>: a Linear's forward on a tape in training mode, recording or not,
/// and its backward), the
/// process runs AMX-BF16 and SKALD_AMX_FP32=1 asks for it (opt-in; SKALD_AMX=0 turns it off with all of AMX), alpha is 1, beta 0 or 1
/// (or a bias row), every side at least 32 and the shape one <see cref="DefaultShape"/> takes. Elsewhere, and on hosts without AMX, the FMA kernels as before.
/// </para>
/// </summary>
internal static unsafe partial class SixTermProducts
{
    private const int Block = SixTermLayout.Block;

    /// <summary>Row blocks a group splits and multiplies (2048 rows: a k block's pieces of op(A) at most 9.4 MB).</summary>
    internal const int RowGroupBlocks = 64;

    private static readonly bool ByDefault = SixTermTileAmx.IsSupported && Environment.GetEnvironmentVariable("SKALD_AMX_FP32") == "1";

    /// <summary>For tests: on this thread 1 turns the route on, -1 off, 0 leaves <see cref="Enabled"/> to the process.</summary>
    [ThreadStatic] internal static int Override;

    /// <summary>For tests: this thread's products through the scalar twin (split and tile); false in production.</summary>
    [ThreadStatic] internal static bool ScalarTwin;

    [ThreadStatic] private static int scope;
    [ThreadStatic] private static ushort[]? aPieces;
    [ThreadStatic] private static ushort[]? bPieces;
    [ThreadStatic] private static ushort[]? ownPieces;

    /// <summary>
    /// Row blocks a worker splits into a buffer of its own and then multiplies against every panel pair, before it splits
    /// the next few (the pieces stay in its cache between the split and the product instead of going through memory;
    /// bench/training --products sweeps it).
    /// </summary>
    internal static int OwnBlocks = 4;

    /// <summary>
    /// Chunks of k a k block holds (at most): per k block op(B)'s pieces are split once and every tile of C runs the
    /// block's chunks in one call, storing its sums for the next block to load (so the bits do not depend on it;
    /// bench/training --products sweeps it).
    /// </summary>
    internal static int BlockChunks = SixTermGemm.KcChunks;

    /// <summary>
    /// Whether training's products run here: where AMX-BF16 runs and SKALD_AMX_FP32=1 asks for it (opt-in, with the
    /// encode's: the MNRL step measured no faster, docs/performance.md 2026-12-07 11:30), or as this thread's
    /// <see cref="Override"/> says.
    /// </summary>
    internal static bool Enabled => Override != 0 ? Override > 0 : ByDefault;

    /// <summary>Opens a training scope on this thread; returns what <see cref="Restore"/> takes to close it.</summary>
    internal static int Enter() => scope++;

    /// <summary>Closes the scope <see cref="Enter"/> opened.</summary>
    internal static void Restore(int was) => scope = was;

    /// <summary>
    /// Whether <paramref name="g"/> runs here when <see cref="Override"/> leaves it to the process (1 takes any product
    /// with every side from 32): A not transposed and the product on the one-region path at <paramref name="threads"/>
    /// (<see cref="RowsOwned"/>: at least 4 row blocks a thread, op(B)'s pieces at most <see cref="OwnedMaxBytes"/>).
    /// Measured on the Intel host at a 12×384 BERT's MNRL step (docs/performance.md 2026-12-07 13:50): there every
    /// y = x·Wᵀ and dx = dy·W ran 0.99–1.36× the FMA kernels per CPU s, 384 columns included; every dW += dyᵀ·x (A
    /// transposed, K the step's 12,288 rows) 0.58–0.93×.
    /// </summary>
    internal static bool DefaultShape(in GemmArgs g, int threads) =>
        !g.TransA && RowsOwned((g.M + Block - 1) / Block, (g.N + Block - 1) / Block, SixTermLayout.Chunks(g.K), Math.Max(1, threads));

    /// <summary>Whether <paramref name="g"/> (an unpacked float32 product of <see cref="ManagedGemm"/>) runs here.</summary>
    internal static bool Takes(in GemmArgs g) =>
        scope > 0 && Enabled && g.Alpha == 1f && (g.Bias != null || g.Beta == 0f || g.Beta == 1f)
        && g.B16 == null && g.PackedB == null && g.Epilogue == null && g.RowsDone == null
        && g.M >= Block && g.N >= Block && g.K >= Block && (Override > 0 || DefaultShape(g, Parallelism.MaxThreads));

    // A product's arguments for the static parallel bodies: the operands, where this k block's pieces are, which row
    // blocks the current group holds, and whether tiles start from C.
    private struct Product
    {
        public GemmArgs G;
        public ushort* APieces, BPieces;
        public int Chunk0, Steps, Block0, Block1;
        public bool Accumulate, Scalar;
        public long Serial;

        public readonly long StepsValues => (long)Steps * SixTermLayout.StepValues;
    }

    /// <summary>Runs <paramref name="g"/> (as <see cref="Takes"/> accepts it) on up to <paramref name="threads"/> threads.</summary>
    internal static void Run(in GemmArgs g, int threads)
    {
        int chunks = SixTermLayout.Chunks(g.K), blocks = (g.M + Block - 1) / Block, pairs = (g.N + Block - 1) / Block;
        int kc = Math.Min(chunks, Math.Max(1, BlockChunks));
        long stepValues = (long)kc * SixTermLayout.StepValues;
        threads = Math.Max(1, threads);
        if (RowsOwned(blocks, pairs, chunks, threads))
        {
            var owned = new Product { G = g, Scalar = ScalarTwin, Serial = Interlocked.Increment(ref serial) };
            Parallelism.Chunked(blocks, threads, blocks, in owned, static (in Product p, int u0, int u1) => Owned(p, u0, u1));
            return;
        }
        var p = new Product
        {
            G = g, Scalar = ScalarTwin,
            BPieces = Buffer(ref bPieces, pairs * stepValues),
            APieces = Buffer(ref aPieces, Math.Min(blocks, RowGroupBlocks) * stepValues),
        };
        for (int c0 = 0; c0 < chunks; c0 += kc)
        {
            p.Chunk0 = c0;
            p.Steps = Math.Min(kc, chunks - c0);
            p.Accumulate = c0 > 0 || (g.Bias == null && g.Beta == 1f);
            Parallelism.Chunked(pairs, threads, pairs, in p, static (in Product p, int q0, int q1) => SplitB(p, q0, q1));
            for (int b0 = 0; b0 < blocks; b0 += RowGroupBlocks)
            {
                p.Block0 = b0;
                p.Block1 = Math.Min(blocks, b0 + RowGroupBlocks);
                int count = p.Block1 - p.Block0;
                if (count >= 2 * threads)
                {
                    Parallelism.Chunked(count, threads, count, in p, static (in Product p, int u0, int u1) =>
                        SplitAndMultiply(p, p.Block0 + u0, p.Block0 + u1));
                    continue;
                }
                Parallelism.Chunked(count, threads, count, in p, static (in Product p, int u0, int u1) =>
                    SplitA(p, p.Block0 + u0, p.Block0 + u1));
                Parallelism.Chunked(pairs, threads, pairs, in p, static (in Product p, int q0, int q1) =>
                    Multiply(p, p.Block0, p.Block1, q0, q1));
            }
        }
        if (g.Bias != null)
            Parallelism.Chunked(g.M, threads, (int)Math.Max(1, (long)g.M * g.N / 16384), in p, static (in Product p, int r0, int r1) =>
                AddBias(p.G, r0, r1));
    }

    // C's rows [r0, r1) += the bias row.
    private static void AddBias(in GemmArgs g, int r0, int r1)
    {
        var bias = new ReadOnlySpan<float>(g.Bias, g.N);
        for (int r = r0; r < r1; r++)
        {
            var row = new Span<float>(g.C + (long)r * g.Ldc, g.N);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    // The calling thread's buffer of at least `values` pieces, 64-byte aligned (grown by half again when short).
    private static ushort* Buffer(ref ushort[]? buffer, long values)
    {
        if (values + 32 > Array.MaxLength) throw new ArgumentException($"a product needing {values} bfloat16 pieces is too large");
        if (buffer is null || buffer.Length < values + 32)
            buffer = GC.AllocateUninitializedArray<ushort>((int)Math.Min(Array.MaxLength, Math.Max(values + 32, (buffer?.Length ?? 0) * 3L / 2)), pinned: true);
        fixed (ushort* b = buffer) return (ushort*)(((nint)b + 63) & ~(nint)63);
    }

    // Row blocks [b0, b1) × panel pairs [q0, q1) of this k block: whole tiles by the tile straight into C, panel pairs in
    // groups of GroupPairs per sweep of the row blocks; a ragged tile through the worker's edge buffer (C's sums
    // copied in when the tile goes on from them, the rows and columns it owns copied back).
    private static void Multiply(in Product p, int b0, int b1, int q0, int q1)
    {
        const int group = SixTermGemm.GroupPairs;
        ref readonly var g = ref p.G;
        long pairValues = p.StepsValues;
        int fullPairs = g.N / Block, fullBlocks = g.M / Block, wholeEnd = Math.Min(q1, fullPairs);
        var args = new SixTermTileAmx.Args { LdcBytes = (long)g.Ldc * sizeof(float), PairBytes = pairValues * sizeof(ushort), Steps = p.Steps };
        for (int g0 = q0; g0 < wholeEnd; g0 += group)
        {
            for (int b = b0; b < Math.Min(b1, fullBlocks); b++)
                Call(p, &args, p.APieces + (b - p.Block0) * pairValues, g0, Math.Min(wholeEnd, g0 + group) - g0,
                    g.C + (long)b * Block * g.Ldc + g0 * Block);
        }
        float* scratch = Edge();
        const int ld = SixTermGemm.GroupPairs * Block;
        for (int b = b0; b < b1; b++)
        {
            int rows = Math.Min(Block, g.M - b * Block);
            for (int g0 = rows < Block ? q0 : Math.Max(q0, wholeEnd); g0 < q1; g0 += group)
            {
                int g1 = Math.Min(q1, g0 + group), cols = Math.Min(g.N, g1 * Block) - g0 * Block;
                float* c = g.C + (long)b * Block * g.Ldc + g0 * Block;
                if (p.Accumulate)
                {
                    for (int r = 0; r < rows; r++)
                        new ReadOnlySpan<float>(c + (long)r * g.Ldc, cols).CopyTo(new Span<float>(scratch + r * ld, cols));
                }
                args.LdcBytes = ld * sizeof(float);
                Call(p, &args, p.APieces + (b - p.Block0) * pairValues, g0, g1 - g0, scratch);
                for (int r = 0; r < rows; r++)
                    new ReadOnlySpan<float>(scratch + r * ld, cols).CopyTo(new Span<float>(c + (long)r * g.Ldc, cols));
            }
        }
    }

    // One row block's pieces at `a` against `tiles` panel pairs from g0 into the sums at `acc`: one call of the tile.
    private static void Call(in Product p, SixTermTileAmx.Args* args, ushort* a, int g0, int tiles, float* acc)
    {
        args->A = a;
        args->B = p.BPieces + g0 * p.StepsValues;
        args->Steps = p.Steps;
        args->Acc = acc;
        args->Accumulate = p.Accumulate ? 1 : 0;
        args->Tiles = tiles;
        Tile(args, p.Scalar);
    }

    // Row blocks [b0, b1) split and multiplied against every panel pair by this worker, OwnBlocks at a time, through a
    // buffer of its own.
    private static void SplitAndMultiply(in Product p, int b0, int b1)
    {
        int own = Math.Max(1, OwnBlocks);
        var mine = p;
        mine.APieces = Buffer(ref ownPieces, own * p.StepsValues);
        for (int b = b0; b < b1; b += own)
        {
            int end = Math.Min(b1, b + own);
            mine.Block0 = b;
            SplitA(mine, b, end);
            Multiply(mine, b, end, 0, (p.G.N + Block - 1) / Block);
        }
    }

    // One call of the tile, or of its twin (asked for, or on a thread that cannot run tiles: the same bits).
    private static void Tile(SixTermTileAmx.Args* args, bool scalar)
    {
        if (scalar || !SixTermTileAmx.Run(args)) SixTermTileScalar.Run(args);
    }
}
