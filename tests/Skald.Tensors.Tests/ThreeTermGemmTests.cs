using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// A W whose every value is a bfloat16 (a bfloat16 checkpoint read as float32) held as its first piece alone and
/// multiplied from three <c>tdpbf16ps</c> terms (<see cref="SixTermMatrix.Bf16Exact"/>, <see cref="ThreeTermTileAmx"/>):
/// the six-term product's bits on the same W, the AMX tile its scalar twin's, within the FMA kernels' envelope of
/// float64, 2 bytes a weight, its values read back, and a packed-only Linear weight routed to it per matrix.
/// </summary>
public sealed class ThreeTermGemmTests
{
    // x [m, k] with 2% of its channels 8× larger and one tiny value a row; W [n, k] N(0, 0.03²) rounded to bfloat16
    // (a quarter of its rows 1000× smaller, so the rows' products span many exponents); bias [n].
    private static (float[] X, float[] W, float[] Bias) Inputs(int m, int n, int k, int seed)
    {
        var rng = new Random(seed);
        var x = TestUtil.RandomArray(rng, m * k);
        for (int i = 0; i < m; i++)
        {
            for (int t = 0; t < k; t += 50) x[i * k + t] *= 8;
            x[i * k + (i % k)] = 1e-30f;
        }
        var w = TestUtil.RandomArray(rng, n * k, 0.03f);
        for (int i = 0; i < w.Length; i++) w[i] = Bf16.ToSingle(Bf16.FromSingle(i / k % 4 == 3 ? w[i] * 1e-3f : w[i]));
        return (x, w, TestUtil.RandomArray(rng, n, 0.1f));
    }

    /// <summary>Asserts <paramref name="actual"/> is <paramref name="expected"/> bit for bit (rows <paramref name="n"/> wide), naming the first output that is not.</summary>
    internal static void SameBits(float[] expected, float[] actual, int n, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: row {i / n}, column {i % n}: {actual[i]:R} against {expected[i]:R}");
    }

    // Through the twins on every host: the three terms' sums are the six terms' on the same bfloat16 W, with and without
    // bias; the three-term W takes a third of the six-term W's bytes.
    [Fact]
    public void ThreeTermsAreTheSixTermsBitsOnABf16W()
    {
        foreach (var (m, n, k) in SixTermGemmTests.Shapes)
        {
            var (x, w, bias) = Inputs(m, n, k, m + 3 * n + k);
            var three = SixTermMatrix.FromRows(w, n, k);
            var six = SixTermMatrix.FromRows(w, n, k, allPieces: true);
            Assert.True(three.Bf16Exact, $"{m}×{n}×{k}");
            Assert.False(six.Bf16Exact);
            Assert.Equal(six.Bytes - 64, 3 * (three.Bytes - 64)); // 32 values of alignment slack each
            foreach (var b in new[] { bias, [] })
                SameBits(SixTermGemmTests.Run(x, six, b, m, scalar: true), SixTermGemmTests.Run(x, three, b, m, scalar: true), n, $"{m}×{n}×{k}, twins");
        }
    }

    // On the tiles: the three-term tile's sums are its twin's and the six-term tile's, bit for bit.
    [AmxBf16Fact]
    public void TheThreeTermTileIsItsTwinAndTheSixTermTile()
    {
        foreach (var (m, n, k) in SixTermGemmTests.Shapes)
        {
            var (x, w, bias) = Inputs(m, n, k, 5 * m + n + k);
            var three = SixTermMatrix.FromRows(w, n, k);
            var six = SixTermMatrix.FromRows(w, n, k, allPieces: true);
            foreach (var b in new[] { bias, [] })
            {
                var tile = SixTermGemmTests.Run(x, three, b, m, scalar: false);
                SameBits(SixTermGemmTests.Run(x, three, b, m, scalar: true), tile, n, $"{m}×{n}×{k}, against the twin");
                SameBits(SixTermGemmTests.Run(x, six, b, m, scalar: false), tile, n, $"{m}×{n}×{k}, against the six-term tile");
            }
        }
    }

    // Error in u = 2^-24 of Σ|x·w| + |b| against float64, on the tiles where they run: at most 4 u (the FMA kernel's
    // max, as SixTermGemmTests' bound).
    [Fact]
    public void TheProductIsWithinTheFmaKernelsEnvelopeOfFloat64()
    {
        foreach (var (m, n, k) in SixTermGemmTests.Shapes)
        {
            var (x, w, bias) = Inputs(m, n, k, 11 * m + n + k);
            var y = SixTermGemmTests.Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar: !ThreeTermTileAmx.IsSupported);
            double max = 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                var (s, a) = SixTermGemmTests.Float64(x, w, bias, i, j, k);
                max = Math.Max(max, Math.Abs(y[i * n + j] - s) / (a * Math.Pow(2, -24)));
            }
            Assert.True(max <= 4.0, $"{m}×{n}×{k}: max error {max:F2} u");
        }
    }

    // Which weights are held as their first piece: every value a bfloat16, edges included (±0, ±∞, a quiet NaN, bfloat16
    // denormals, the largest bfloat16); one value with a low bit set, or a signalling NaN, keeps all three pieces. Each
    // read back bit for bit; the panels' split gives the same first pieces as the rows'.
    [Fact]
    public unsafe void AWeightOfBfloat16sIsHeldAsItsFirstPieceAndReadsBack()
    {
        const int n = 37, k = 45;
        uint[] edges = [0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x0001_0000, 0x8001_0000, 0x7F7F_0000, 0x3F81_0000];
        var rng = new Random(21);
        var w = new float[n * k];
        for (int i = 0; i < w.Length; i++)
            w[i] = BitConverter.UInt32BitsToSingle(i < edges.Length ? edges[i] // else a random finite bfloat16, every exponent
                : (uint)rng.Next(2) << 31 | (uint)rng.Next(255) << 23 | (uint)rng.Next(128) << 16);
        var gemm = new ManagedGemm();
        var rows = SixTermMatrix.FromRows(w, n, k);
        var panels = SixTermMatrix.FromPanels(gemm.Pack(true, k, n, w, k));
        Assert.True(rows.Bf16Exact && rows.Lossless && panels.Bf16Exact);
        long values = (long)rows.Pairs * rows.Chunks * ThreeTermTileAmx.WStepValues;
        Assert.True(new ReadOnlySpan<ushort>(panels.Pieces, (int)values).SequenceEqual(new ReadOnlySpan<ushort>(rows.Pieces, (int)values)));
        var back = new float[n * k];
        rows.CopyRowMajor(0, back);
        Assert.Equal(w.Select(BitConverter.SingleToUInt32Bits), back.Select(BitConverter.SingleToUInt32Bits));
        var part = new float[50];
        rows.CopyRowMajor(600, part);
        Assert.Equal(w.AsSpan(600, 50).ToArray(), part);
        GC.KeepAlive(rows);
        GC.KeepAlive(panels);

        foreach (uint odd in new uint[] { 0x3F80_0001, 0x7F81_0000, 0x0000_8000 })
        {
            var one = w.ToArray();
            one[5 * k + 44] = BitConverter.UInt32BitsToSingle(odd);
            var held = SixTermMatrix.FromRows(one, n, k);
            Assert.False(held.Bf16Exact, $"0x{odd:X8}");
            Assert.False(SixTermMatrix.FromPanels(gemm.Pack(true, k, n, one, k)).Bf16Exact, $"0x{odd:X8}, from panels");
        }
    }

    // The packed-only Linear weight: a bfloat16 W held as its first piece alone (2 bytes a weight), multiplying as the
    // same W's panels do on the six-term path; a float32 W beside it keeps its three pieces; asked for, the FMA kernels
    // read the values back.
    [Fact]
    public void APackedOnlyBf16WeightTakesThreeTermsAndTwoBytesAWeight()
    {
        const int m = 45, n = 70, k = 100;
        var (x, w, bias) = Inputs(m, n, k, 9);
        var gemm = new ManagedGemm();
        var panels = gemm.Pack(true, k, n, w, k);
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1; // the six-term product on, through the twins on a CPU without AMX
            var pieces = gemm.PackForLinear(w, n, k, holdPieces: false);
            Assert.False(pieces.HasPanels);
            Assert.True(pieces.SixTerm.Bf16Exact);
            long twoBytes = 2L * 96 * 128 + 64; // [70, 100] padded to 96 columns and 128 deep, 2 bytes each, 64 of alignment slack
            Assert.Equal(twoBytes, pieces.SixTermBytes);
            var expected = SixTermGemmTests.Run(x, SixTermMatrix.FromRows(w, n, k, allPieces: true), bias, m, scalar: false);
            Assert.Equal(expected, SixTermPiecesTests.Fused(gemm, pieces, x, bias, m));
            Assert.Equal(expected, SixTermPiecesTests.Fused(gemm, panels, x, bias, m)); // the panels' pieces made at the first product: the same
            Assert.Equal(twoBytes, panels.SixTermBytes);

            var full = w.ToArray();
            full[7] += 1e-6f;
            Assert.False(gemm.PackForLinear(full, n, k, holdPieces: false).SixTerm.Bf16Exact);

            SixTermGemm.Override = -1; // the FMA kernels asked for: the values read back, the panels' bits
            Assert.Equal(SixTermPiecesTests.Fused(gemm, panels, x, bias, m), SixTermPiecesTests.Fused(gemm, pieces, x, bias, m));
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    // SKALD_AMX_FP32=bf16 (here the thread's override): a float32 weight keeps its panels alone and the FMA kernels (no
    // pieces made, its products the FMA kernels' bits), while a bfloat16 weight beside it is still its first piece alone on
    // three terms.
    [Fact]
    public void WithBf16WeightsOnlyAFloat32WeightKeepsItsPanelsAndTheFmaKernels()
    {
        const int m = 40, n = 70, k = 100;
        var (x, w, bias) = Inputs(m, n, k, 13);
        var full = TestUtil.RandomArray(new Random(14), n * k, 0.03f);
        var gemm = new ManagedGemm();
        int was = SixTermGemm.Override, wasOnly = SixTermGemm.Bf16WeightsOnlyOverride;
        try
        {
            SixTermGemm.Override = -1;
            var fma = SixTermPiecesTests.Fused(gemm, gemm.Pack(true, k, n, full, k), x, bias, m);
            SixTermGemm.Override = 1;
            var six = SixTermPiecesTests.Fused(gemm, gemm.PackForLinear(full, n, k, holdPieces: false), x, bias, m);
            SixTermGemm.Bf16WeightsOnlyOverride = 1;
            var panels = gemm.PackForLinear(full, n, k, holdPieces: false);
            Assert.True(panels.HasPanels);
            Assert.Equal(fma, SixTermPiecesTests.Fused(gemm, panels, x, bias, m));
            Assert.NotEqual(six, fma); // (so the product above is the FMA kernels', not the six terms')
            Assert.Equal(0, panels.SixTermBytes);
            var pieces = gemm.PackForLinear(w, n, k, holdPieces: false);
            Assert.False(pieces.HasPanels);
            Assert.True(pieces.SixTerm.Bf16Exact);
            var expected = SixTermGemmTests.Run(x, SixTermMatrix.FromRows(w, n, k, allPieces: true), bias, m, scalar: false);
            Assert.Equal(expected, SixTermPiecesTests.Fused(gemm, pieces, x, bias, m));
        }
        finally
        {
            SixTermGemm.Override = was;
            SixTermGemm.Bf16WeightsOnlyOverride = wasOnly;
        }
    }
}
