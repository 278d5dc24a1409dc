namespace Skald.Tensors.Quantization;

// SixTermProducts, continued: a product with many row blocks and a small op(B) (a Linear's y = x·Wᵀ and dx = dy·W at
// a training step's rows) in one parallel region instead of two or more a k block: each worker splits all of op(B)'s
// pieces once into a buffer of its own (every k block, at most OwnedMaxBytes), then takes row blocks, OwnBlocks at a
// time, through every k block in order (split, multiply against every panel pair) and adds the bias to their rows.
// Each tile of C still runs the k blocks in order, one call a block, from the sums the last call stored: the bits of
// the other path, at any thread count. Under a shared host's load every region is a wait for the other worker to be
// scheduled, and the spinning while it waits is CPU time (docs/performance.md, 2026-12-07 13:50).
internal static unsafe partial class SixTermProducts
{
    /// <summary>Bytes of op(B)'s pieces (all k blocks) a worker may hold for the one-region path.</summary>
    internal const long OwnedMaxBytes = 8L << 20;

    private static long serial;
    [ThreadStatic] private static ushort[]? ownB;
    [ThreadStatic] private static long ownBSerial;

    // Whether a product of `blocks` row blocks, `pairs` panel pairs and `chunks` chunks takes the one-region path.
    private static bool RowsOwned(int blocks, int pairs, int chunks, int threads) =>
        blocks >= 4 * threads && (long)pairs * chunks * SixTermLayout.StepBytes <= OwnedMaxBytes;

    // Row blocks [b0, b1), all of k, by this worker.
    private static void Owned(in Product p, int b0, int b1)
    {
        ref readonly var g = ref p.G;
        int chunks = SixTermLayout.Chunks(g.K), kc = Math.Min(chunks, Math.Max(1, BlockChunks)), pairs = (g.N + Block - 1) / Block;
        long blockValues = (long)pairs * kc * SixTermLayout.StepValues; // one k block's pieces of op(B)
        var mine = p;
        ushort* allB = Buffer(ref ownB, (chunks + kc - 1) / kc * blockValues);
        if (ownBSerial != p.Serial)
        {
            for (int c0 = 0, kb = 0; c0 < chunks; c0 += kc, kb++)
            {
                mine.Chunk0 = c0;
                mine.Steps = Math.Min(kc, chunks - c0);
                mine.BPieces = allB + kb * blockValues;
                SplitB(mine, 0, pairs);
            }
            ownBSerial = p.Serial;
        }
        int own = Math.Max(1, OwnBlocks);
        mine.APieces = Buffer(ref ownPieces, own * (long)kc * SixTermLayout.StepValues);
        for (int b = b0; b < b1; b += own)
        {
            int end = Math.Min(b1, b + own);
            mine.Block0 = b;
            for (int c0 = 0, kb = 0; c0 < chunks; c0 += kc, kb++)
            {
                mine.Chunk0 = c0;
                mine.Steps = Math.Min(kc, chunks - c0);
                mine.BPieces = allB + kb * blockValues;
                mine.Accumulate = c0 > 0 || (g.Bias == null && g.Beta == 1f);
                SplitA(mine, b, end);
                Multiply(mine, b, end, 0, pairs);
            }
            if (g.Bias != null) AddBias(g, b * Block, Math.Min(g.M, end * Block));
        }
    }
}
