namespace Skald.Tensors.Quantization;

// SixTermGemm, continued: the product for a W held as its float32 panels (SixTermMatrix.SplitsPerCall, 4 bytes a weight),
// its pieces (three, or at "high" the two it reads) split per call, per k block and group of panel pairs, into this thread's own buffer (a group's pairs × a k
// block's chunks: at most GroupPairs · KcChunks steps, 1.2 MB, so it stays in L2 while every row block of the call takes
// it), the same pieces SixTermMatrix.FromRows would have held (the same bits). Every tile runs k block by k block,
// storing its sums between blocks (float32 sums, stored and loaded back exactly); a tile of a ragged last row block
// or a ragged last pair sums into this thread's strips and is copied into C once k is done.
internal static unsafe partial class SixTermGemm
{
    /// <summary>Row blocks a thread's chunk of the row split takes at least when a W is split per call (256 rows a split).</summary>
    internal const int SplitRowBlocks = 8;

    [ThreadStatic] private static ushort[]? wPieces; // a group's W pieces for one k block, split per call
    [ThreadStatic] private static float[]? rowStrip; // a ragged last row block's sums: 32 rows × the call's pairs
    [ThreadStatic] private static float[]? pairStrip; // a ragged last pair's sums: the call's whole row blocks × 32 columns

    // Row blocks [0, blocks) over the threads: for a product whose W is split per call (each chunk splits W once) in uniform
    // chunks of at least SplitRowBlocks blocks, at least one a thread; else Parallelism.For's chunks of at least
    // ChunkFloor blocks.
    private static void ForRowBlocks<TState>(int blocks, bool splitsPerCall, in TState state, RangeBody<TState> body) where TState : struct
    {
        if (!splitsPerCall)
        {
            Parallelism.For(blocks, ChunkFloor(blocks, Parallelism.MaxThreads), state, body);
            return;
        }
        int threads = Parallelism.Threads(blocks, 1);
        Parallelism.Chunked(blocks, threads, SplitChunks(blocks, threads), state, body, guided: false);
    }

    /// <summary>
    /// The uniform chunks a row-split region of <paramref name="blocks"/> row blocks hands <paramref name="threads"/>
    /// threads when a W is split per call: chunks of at least <see cref="SplitRowBlocks"/> blocks and of
    /// <see cref="ChunkFloor"/>'s (a thread's share, up to the pieces buffer), at least one a thread. Each chunk splits W
    /// once per <see cref="PiecesBlocks"/> of its blocks, so a decoder's 8 × 128 rows (32 blocks, 2 threads) split W
    /// twice a product, not four times in chunks of 8 (the rule before 2026-12-08, SKALD_SIXTERM_CHUNK=1); the same bits.
    /// </summary>
    internal static int SplitChunks(int blocks, int threads) =>
        Math.Max(threads, blocks / Math.Max(SplitRowBlocks, ChunkFloor(blocks, threads)));

    // Row blocks [b0, b1) × panel pairs [q0, q1) into C, W's pieces split here (Compute's work for such a W).
    private static void ComputeSplitting(in Product p, int b0, int b1, int q0, int q1)
    {
        if (b0 >= b1 || q0 >= q1) return;
        var w = p.W;
        int chunks = w.Chunks, fullPairs = w.N / Block, stripCols = (q1 - q0) * Block;
        long blockValues = (long)chunks * p.XStepValues;
        long pairValues = (long)Math.Min(KcChunks, chunks) * p.XStepValues; // W split into as many pieces as x
        ushort* pieces = (ushort*)Buffer(ref wPieces, GroupPairs * pairValues);
        int lastRows = Math.Min(Block, p.M - (b1 - 1) * Block), wholeBlocks = lastRows < Block ? b1 - 1 : b1;
        bool raggedPair = q1 > fullPairs;
        float* rows = lastRows < Block ? (float*)Buffer(ref rowStrip, (long)Block * stripCols) : null;
        float* pair = raggedPair && wholeBlocks > b0 ? (float*)Buffer(ref pairStrip, (long)(wholeBlocks - b0) * Block * Block) : null;
        float* c = (float*)p.C;
        var args = new SixTermTileAmx.Args { PairBytes = pairValues * sizeof(ushort) };
        for (int kb = 0; kb < chunks; kb += KcChunks)
        {
            args.Steps = Math.Min(KcChunks, chunks - kb);
            for (int g0 = q0; g0 < q1; g0 += GroupPairs)
            {
                int g1 = Math.Min(q1, g0 + GroupPairs), whole = Math.Min(g1, fullPairs) - g0;
                w.SplitPairs(g0, g1, kb, (int)args.Steps, pieces, pairValues, vector: !p.Scalar, p.XPieces);
                for (int b = b0; b < b1; b++)
                {
                    args.A = (ushort*)p.Pieces + b * blockValues + (long)kb * p.XStepValues;
                    if (b >= wholeBlocks)
                        Tiles(&args, p, kb, pieces, rows + (g0 - q0) * Block, stripCols, g1 - g0);
                    else
                    {
                        if (whole > 0) Tiles(&args, p, kb, pieces, c + (long)b * Block * p.Ldc + g0 * Block, p.Ldc, whole);
                        if (whole < g1 - g0) Tiles(&args, p, kb, pieces + whole * pairValues, pair + (b - b0) * Block * Block, Block, 1);
                    }
                }
            }
        }
        int colsTail = w.N - fullPairs * Block, cols = Math.Min(w.N, q1 * Block) - q0 * Block;
        for (int b = b0; b < b1; b++)
        for (int r = 0; r < (b < wholeBlocks ? Block : lastRows); r++)
        {
            float* to = c + ((long)b * Block + r) * p.Ldc;
            if (b >= wholeBlocks)
                new ReadOnlySpan<float>(rows + r * stripCols, cols).CopyTo(new Span<float>(to + q0 * Block, cols));
            else if (pair != null)
                new ReadOnlySpan<float>(pair + ((b - b0) * Block + r) * Block, colsTail).CopyTo(new Span<float>(to + fullPairs * Block, colsTail));
        }
    }

    // One tile call: `tiles` pairs from W's pieces at `b` against the row block at args.A, sums at `acc` (rows `ldc` apart).
    private static void Tiles(SixTermTileAmx.Args* args, in Product p, int kb, ushort* b, float* acc, int ldc, int tiles)
    {
        args->B = b;
        args->Acc = acc;
        args->LdcBytes = (long)ldc * sizeof(float);
        args->Accumulate = kb;
        args->Tiles = tiles;
        Tile(args, p.Scalar, threeTerms: false, p.High, p.XPieces);
    }
}
