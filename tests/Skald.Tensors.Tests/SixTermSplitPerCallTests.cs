using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// A float32 weight on the AMX six-term product held as its float32 panels alone (4 bytes a weight) and split per product
/// (<see cref="SixTermMatrix.SplitsPerCall"/>): the pieces split per call are, bit for bit, the ones
/// <see cref="SixTermMatrix.FromRows(ReadOnlySpan{float}, int, int)"/> holds (edge values included, whole and from a later pair and chunk on), its
/// products are the held pieces' products bit for bit over ragged rows, columns and depths, several k blocks and groups
/// of pairs, whether the threads split rows or pairs (through the twins on every host, on the tiles where AMX runs), and
/// the packed Linear keeps the panels alone.
/// </summary>
public sealed class SixTermSplitPerCallTests
{
    // The AVX-512 kernel's panels, 32 columns wide: the ones a weight is split from.
    private static readonly ManagedGemm Wide = new(ManagedGemmKernel.Vector512);

    private static SixTermMatrix SplitPerCall(float[] w, int n, int k)
    {
        var view = SixTermMatrix.For(Wide.Pack(true, k, n, w, k));
        Assert.True(view.SplitsPerCall);
        Assert.Equal(0, view.Bytes);
        return view;
    }

    [Fact]
    public unsafe void ThePiecesSplitPerCallAreTheHeldPieces()
    {
        var edges = SixTermPiecesTests.Edges();
        foreach (var (n, k) in new[] { (40, 70), (70, 790), (33, 31), (64, 800) })
        foreach (bool vector in new[] { true, false })
        {
            var w = new float[n * k];
            for (int i = 0; i < w.Length; i++) w[i] = edges[(i * 7 + n) % edges.Length];
            var held = SixTermMatrix.FromRows(w, n, k, allPieces: true);
            var view = SplitPerCall(w, n, k);
            int pairs = view.Pairs, chunks = view.Chunks, sv = SixTermLayout.StepValues;
            var all = new ushort[pairs * chunks * sv];
            // From pair 1 and chunk 1 on, as a later group of pairs and k block ask (pair 0 and chunk 0 when there is one).
            int q0 = Math.Min(1, pairs - 1), c0 = Math.Min(1, chunks - 1);
            var later = new ushort[(pairs - q0) * (chunks - c0) * sv];
            fixed (ushort* pa = all, pl = later)
            {
                view.SplitPairs(0, pairs, 0, chunks, pa, (long)chunks * sv, vector);
                view.SplitPairs(q0, pairs, c0, chunks - c0, pl, (long)(chunks - c0) * sv, vector);
            }
            var expected = new ReadOnlySpan<ushort>(held.Pieces, all.Length).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(all), $"[{n}, {k}], vector {vector}: the pieces differ");
            for (int q = q0; q < pairs; q++)
            {
                var want = expected.AsSpan((q * chunks + c0) * sv, (chunks - c0) * sv);
                Assert.True(want.SequenceEqual(later.AsSpan((q - q0) * (chunks - c0) * sv, (chunks - c0) * sv)),
                    $"[{n}, {k}], vector {vector}: pair {q} from chunk {c0} differs");
            }
            GC.KeepAlive(held);
        }
    }

    // (m, n, k): one row; ragged rows, columns and depth; the threads splitting rows (300: 10 row blocks, a ragged last
    // one, and a ragged last pair; 1100: 35 blocks, more than RowPiecesBlocks a thread); two k blocks (800, 790 deep).
    private static readonly (int M, int N, int K)[] TwinShapes =
        [(1, 5, 7), (33, 70, 100), (31, 33, 31), (300, 70, 100), (64, 96, 800), (40, 40, 790), (1100, 40, 40)];

    [Fact]
    public void AWeightSplitPerCallMultipliesAsItsHeldPiecesThroughTheTwins() => SameProducts(TwinShapes, scalar: true);

    // Wider and deeper on the tiles: 11 pairs (two groups, the last ragged), 1,000 deep (two k blocks, a ragged chunk).
    [AmxBf16Fact]
    public void AWeightSplitPerCallMultipliesAsItsHeldPiecesOnTheTiles() =>
        SameProducts([.. TwinShapes, (70, 300, 1600), (1100, 330, 1000), (512, 768, 768)], scalar: false);

    private static void SameProducts((int M, int N, int K)[] shapes, bool scalar)
    {
        foreach (var (m, n, k) in shapes)
        {
            var rng = new Random(m * 31 + n * 7 + k);
            var x = TestUtil.RandomArray(rng, m * k);
            var w = TestUtil.RandomArray(rng, n * k, 0.05f);
            var bias = TestUtil.RandomArray(rng, n);
            var held = SixTermMatrix.FromRows(w, n, k);
            var view = SplitPerCall(w, n, k);
            foreach (var b in new[] { bias, [] })
            {
                var want = SixTermGemmTests.Run(x, held, b, m, scalar);
                var got = SixTermGemmTests.Run(x, view, b, m, scalar);
                for (int i = 0; i < want.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"{m}×{n}×{k}, scalar {scalar}: row {i / n}, column {i % n}: {got[i]:R} split per call, {want[i]:R} held");
            }
        }
    }

    // A model that does not ask (a decoder over 1 GiB) keeps the panels alone and splits them per product; one that asks
    // (Tape.HoldWeightPieces: an encoder) holds the pieces only, on these wide panels too. The same bits either way.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFloat32WeightPackedForTheSixTermsHoldsItsPanelsOrItsPiecesAsAsked(bool holdPieces)
    {
        const int m = 45, n = 70, k = 100;
        var rng = new Random(21);
        var x = TestUtil.RandomArray(rng, m * k);
        var w = TestUtil.RandomArray(rng, n * k, 0.05f);
        var bias = TestUtil.RandomArray(rng, n);
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1; // the six-term product on, through the twin on a CPU without AMX
            var packed = Wide.PackForLinear(w, n, k, holdPieces);
            Assert.Equal(!holdPieces, packed.HasPanels);
            if (holdPieces) Assert.True(packed.SixTermBytes >= 6L * n * k, $"{packed.SixTermBytes} bytes");
            else Assert.True(packed.Bytes <= 4L * 96 * k + 64, $"{packed.Bytes} bytes"); // 70 columns padded to 96, 64 of alignment slack
            var y = SixTermPiecesTests.Fused(Wide, packed, x, bias, m);
            Assert.Equal(SixTermGemmTests.Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar: false), y);
            Assert.Equal(!holdPieces, packed.SixTerm.SplitsPerCall);
            if (!holdPieces) Assert.Equal(0, packed.SixTermBytes); // nothing made beside the panels by the product
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }
}
