using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// How a row-split six-term product whose W is split per call (a decoder's: over 1 GiB of float32 weights, no pieces
/// held) hands its row blocks to the threads (<see cref="SixTermGemm.SplitChunks"/>): chunks of a thread's share up to
/// the pieces buffer, so each chunk's one split of W serves as many row blocks as it can, and the same bits whatever
/// the chunks.
/// </summary>
public sealed class SixTermSplitChunkTests
{
    // (row blocks, threads) → chunks: a decoder batch of 8 × 128 on 2 threads two (one split of W a thread, not four
    // chunks of 8); 128 blocks eight of 16; a few blocks still at least one a thread and chunks of at least 8 blocks.
    // Skipped when SKALD_SIXTERM_CHUNK is set for an A/B run (its count rules).
    [Theory]
    [InlineData(32, 2, 2)]
    [InlineData(128, 2, 8)]
    [InlineData(64, 4, 4)]
    [InlineData(20, 2, 2)]
    [InlineData(4, 2, 2)]
    public void ASplitPerCallRegionsChunksAreAThreadsShareUpToThePiecesBuffer(int blocks, int threads, int chunks)
    {
        if (SixTermGemm.ChunkBlocks > 0) return;
        Assert.Equal(SixTermGemm.RowPiecesBlocks, SixTermGemm.PiecesBlocks);
        Assert.Equal(chunks, AtChunk(0, () => SixTermGemm.SplitChunks(blocks, threads)));
    }

    // SKALD_SIXTERM_CHUNK=1's rule (chunks of SplitRowBlocks, as before 2026-12-08) for A/B runs.
    [Fact]
    public void AChunkFloorOfOneIsTheOldRule()
    {
        Assert.Equal(4, AtChunk(1, () => SixTermGemm.SplitChunks(32, 2)));
        Assert.Equal(16, AtChunk(1, () => SixTermGemm.SplitChunks(128, 2)));
    }

    // 1,024 rows (32 whole blocks, the decoder batch's) and 1,000 (a ragged last block), 70 columns (a ragged last pair):
    // a W split per call under the rule, the old chunks of 8 and chunks of 3: the same bits as its held pieces.
    [Theory]
    [InlineData(1024)]
    [InlineData(1000)]
    public void TheSumsOfAWeightSplitPerCallDoNotDependOnTheChunks(int m)
    {
        const int n = 70, k = 100;
        var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 9);
        var view = SixTermMatrix.For(new ManagedGemm(ManagedGemmKernel.Vector512).Pack(true, k, n, w, k));
        Assert.True(view.SplitsPerCall);
        bool scalar = !SixTermTileAmx.IsSupported;
        var held = SixTermGemmTests.Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar);
        foreach (int chunk in new[] { 0, 1, 3 })
            Assert.Equal(held, AtChunk(chunk, () => SixTermGemmTests.Run(x, view, bias, m, scalar)));
    }

    // f() with this thread's chunk floor set to `chunk` (0: the rule), put back after.
    private static T AtChunk<T>(int chunk, Func<T> f)
    {
        int was = SixTermGemm.ChunkOverride;
        SixTermGemm.ChunkOverride = chunk;
        try
        {
            return f();
        }
        finally
        {
            SixTermGemm.ChunkOverride = was;
        }
    }
}
