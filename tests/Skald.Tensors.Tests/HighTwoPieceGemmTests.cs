using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// "High" precision's own layout (<see cref="SixTermMatrix.PieceCount"/> 2: W held as the two pieces
/// <see cref="HighTileAmx"/> reads, 4 bytes a weight; x split into two): the split keeps exactly the first two of the
/// three-piece split's pieces; a two-piece W's product is, bit for bit, the high product of the three-piece W and of
/// the W split per call (tile and twin); a two-piece W runs at "high" whatever a call asks; and a model packed at
/// "high" holds 4 bytes a weight, packed-only too, with the same products.
/// </summary>
public sealed class HighTwoPieceGemmTests
{
    private static void SameBits(float[] expected, float[] actual, int n, string what) => ThreeTermGemmTests.SameBits(expected, actual, n, what);

    // x's two-piece blocks and W's two-piece steps are the three-piece ones without their third pieces, vector and
    // scalar alike (values at every magnitude, ragged rows and k).
    [Fact]
    public unsafe void TheTwoPieceSplitsAreTheFirstTwoOfTheThree()
    {
        const int k = 45, rows = 30, chunks = 2;
        var rng = new Random(7);
        var x = new float[32 * k];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-40, 40)));
        int three = SixTermLayout.StepValuesOf(3), two = SixTermLayout.StepValuesOf(2);
        foreach (bool vector in new[] { true, false })
        {
            var block3 = new ushort[chunks * three];
            var block2 = new ushort[chunks * two];
            var step3 = new ushort[three];
            var step2 = new ushort[two];
            fixed (float* px = x)
            fixed (ushort* b3 = block3, b2 = block2, s3 = step3, s2 = step2)
            {
                SixTermLayout.SplitRows(px, k, rows, k, b3, vector);
                SixTermLayout.SplitRows(px, k, rows, k, b2, vector, pieces: 2);
                SixTermLayout.SplitPair(px, 32, s3, vector); // 32 rows of 32 columns: the first 1,024 values
                SixTermLayout.SplitPair(px, 32, s2, vector, pieces: 2);
            }
            for (int r = 0; r < 32; r++)
            for (int t = 0; t < chunks * 32; t++)
            for (int s = 0; s < 2; s++)
                Assert.Equal(block3[SixTermLayout.XIndex(r, t, s)], block2[SixTermLayout.XIndex(r, t, s, two)]);
            for (int j = 0; j < 32; j++)
            for (int t = 0; t < 32; t++)
            for (int s = 0; s < 2; s++)
                Assert.Equal(step3[SixTermLayout.WIndex(j, t, s)], step2[SixTermLayout.WIndex(j, t, s, two)]);
        }
    }

    // The two-piece W against the three-piece W and the W split per call, all at "high": one set of bits, on the tile and
    // on its twin, with and without bias, over ragged shapes and several k blocks; and 4 bytes a weight (padded).
    [Fact]
    public void ATwoPieceWeightGivesTheHighProductBitForBit()
    {
        var wide = new ManagedGemm(ManagedGemmKernel.Vector512);
        foreach (var (m, n, k) in SixTermGemmTests.Shapes)
        {
            var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 7 * m + n + k);
            var held3 = SixTermMatrix.FromRows(w, n, k);
            var held2 = SixTermMatrix.FromRows(w, n, k, pieces: 2);
            Assert.Equal(2, held2.PieceCount);
            Assert.Equal(2L * 2 * held2.Pairs * 32 * held2.Chunks * 32 + 64, held2.Bytes);
            foreach (var b in new[] { bias, [] })
            {
                var twin = HighPrecisionGemmTests.Run(x, held3, b, m, scalar: true, high: true);
                SameBits(twin, HighPrecisionGemmTests.Run(x, held2, b, m, scalar: true, high: true), n, $"{m}×{n}×{k}, two pieces, twin");
                if (!HighTileAmx.IsSupported) continue;
                SameBits(twin, HighPrecisionGemmTests.Run(x, held2, b, m, scalar: false, high: true), n, $"{m}×{n}×{k}, two pieces");
                SameBits(twin, HighPrecisionGemmTests.Run(x, held3, b, m, scalar: false, high: true), n, $"{m}×{n}×{k}, three pieces");
                var split = SixTermMatrix.For(wide.Pack(true, k, n, w, k));
                Assert.True(split.SplitsPerCall);
                SameBits(twin, HighPrecisionGemmTests.Run(x, split, b, m, scalar: false, high: true), n, $"{m}×{n}×{k}, split per call");
            }
        }
    }

    // A W holding only "high"'s two pieces cannot form the six terms: a call asking for the six runs at "high".
    [Fact]
    public void ATwoPieceWeightRunsAtHighWhateverTheCallAsks()
    {
        const int m = 33, n = 40, k = 100;
        var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 3);
        var held2 = SixTermMatrix.FromRows(w, n, k, pieces: 2);
        bool scalar = !HighTileAmx.IsSupported;
        SameBits(HighPrecisionGemmTests.Run(x, held2, bias, m, scalar, high: true), HighPrecisionGemmTests.Run(x, held2, bias, m, scalar, high: false), n, "asked for the six terms");
    }

    // A weight packed by a tape at "high" that holds pieces keeps the two "high" reads, 4 bytes a weight, as a packed-only
    // weight too (the three-piece layout took 6), and its Linear gives the high product of the three-piece W bit for bit.
    [Fact]
    public void AWeightPackedAtHighHoldsFourBytesAWeight()
    {
        if (Blas.Backend is not ManagedGemm) return;
        const int m = 45, n = 70, k = 100;
        var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 19);
        OnTheSixTermPath(() =>
        {
            foreach (bool packedOnly in new[] { false, true })
            {
                var weight = new Parameter("w", (float[])w.Clone(), [n, k], weightDecay: false);
                var b = new Parameter("b", bias, [n], weightDecay: false);
                var tape = new Tape(recording: false)
                {
                    PackWeights = true, HoldWeightPieces = true, KeepPackedOnly = packedOnly, Float32Matmul = Float32MatmulPrecision.High,
                };
                var y = Ops.Linear(tape, tape.Constant(x, m, k), weight, b).Span.ToArray();
                var expected = HighPrecisionGemmTests.Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar: !HighTileAmx.IsSupported, high: true);
                SameBits(expected, y, n, packedOnly ? "packed-only" : "packed");
                var packed = weight.PackedForLinear(tape)!;
                Assert.False(packed.HasPanels);
                Assert.Equal(2, packed.SixTerm.PieceCount);
                Assert.Equal(packedOnly, weight.IsPackedOnly);
                if (packedOnly) Assert.Equal(4L * n * k, weight.Bytes);
            }
        });
    }

    // A weight whose values are held, packed at "high" and then multiplied at "highest", is packed again as three pieces:
    // the six terms' bits, not "high"'s.
    [Fact]
    public void AHeldWeightPackedAtHighIsPackedAgainForHighest()
    {
        if (Blas.Backend is not ManagedGemm) return;
        const int m = 40, n = 64, k = 96;
        var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 23);
        OnTheSixTermPath(() =>
        {
            var weight = new Parameter("w", w, [n, k], weightDecay: false);
            var b = new Parameter("b", bias, [n], weightDecay: false);
            float[] Linear(Float32MatmulPrecision precision)
            {
                var tape = new Tape(recording: false) { PackWeights = true, HoldWeightPieces = true, Float32Matmul = precision };
                return Ops.Linear(tape, tape.Constant(x, m, k), weight, b).Span.ToArray();
            }
            bool scalar = !HighTileAmx.IsSupported;
            var pieces = SixTermMatrix.FromRows(w, n, k);
            SameBits(HighPrecisionGemmTests.Run(x, pieces, bias, m, scalar, high: true), Linear(Float32MatmulPrecision.High), n, "High");
            SameBits(HighPrecisionGemmTests.Run(x, pieces, bias, m, scalar, high: false), Linear(Float32MatmulPrecision.Highest), n, "Highest after High");
        });
    }

    // Runs `body` with this thread's packed float32 products on the six-term path (through the twins on a CPU without AMX).
    private static void OnTheSixTermPath(Action body)
    {
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1;
            body();
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }
}
