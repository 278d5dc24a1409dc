using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// How a row-split six-term product hands its row blocks to the threads (<see cref="SixTermGemm.ChunkFloor"/>): a
/// thread's share of the blocks, at most the pieces buffer's, so that at batch 32 × 32 each thread sweeps W's pieces
/// once a product instead of once per guided chunk of 1–4 blocks; and the same bits whatever the chunks.
/// </summary>
public sealed class SixTermChunkTests
{
    // (row blocks, threads) → the chunk floor: batch 32 × 32 on 2 threads two halves; 128 blocks capped at the pieces
    // buffer (16 blocks); a few blocks a thread's share; one thread all, up to the buffer.
    [Theory]
    [InlineData(32, 2, 16)]
    [InlineData(33, 2, 16)]
    [InlineData(128, 2, 16)]
    [InlineData(5, 2, 2)]
    [InlineData(24, 4, 6)]
    [InlineData(3, 4, 1)]
    [InlineData(40, 1, 16)]
    public void AChunkIsAThreadsShareOfTheBlocksUpToThePiecesBuffer(int blocks, int threads, int floor)
    {
        int was = SixTermGemm.ChunkOverride;
        SixTermGemm.ChunkOverride = 0;
        try
        {
            if (SixTermGemm.ChunkBlocks > 0) return; // SKALD_SIXTERM_CHUNK set for an A/B run: its count rules
            Assert.Equal(SixTermGemm.RowPiecesBlocks, SixTermGemm.PiecesBlocks);
            Assert.Equal(floor, SixTermGemm.ChunkFloor(blocks, threads));
        }
        finally
        {
            SixTermGemm.ChunkOverride = was;
        }
    }

    // 1,024 rows (32 whole blocks, batch 32 × 32's) and 1,000 (a ragged last block), the packed Linear with the chunk
    // floor's rule, the guided chunks of 1 block and of 3: the same bits.
    [Theory]
    [InlineData(1024)]
    [InlineData(1000)]
    public void TheSumsDoNotDependOnTheChunks(int m)
    {
        const int n = 80, k = 100;
        var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 5);
        var managed = new ManagedGemm();
        var packed = managed.Pack(true, k, n, w, k);
        var rule = SixTermGemmTests.Linear(managed, x, packed, bias, m, n, k, chunk: 0);
        Assert.Equal(rule, SixTermGemmTests.Linear(managed, x, packed, bias, m, n, k, chunk: 1));
        Assert.Equal(rule, SixTermGemmTests.Linear(managed, x, packed, bias, m, n, k, chunk: 3));
        var one = SixTermGemmTests.Linear(managed, x.AsSpan((m - 1) * k, k).ToArray(), packed, bias, 1, n, k, chunk: 0);
        Assert.Equal(one, rule.AsSpan((m - 1) * n, n).ToArray());
    }
}
