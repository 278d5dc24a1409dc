using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Quantization;
using Xunit.Abstractions;

namespace Skald.Tensors.Tests;

/// <summary>
/// The float32 product at "high" precision (<see cref="Float32MatmulPrecision.High"/>, <see cref="HighTileAmx"/>: x and W
/// as two bfloat16 pieces each, three terms): the tile bit for bit its twin, held pieces and pieces split per call
/// alike; exactly the three terms' sum where every sum is exact; within the bound HighTileAmx derives against float64
/// at BERT's depths; and reached through a tape's setting.
/// </summary>
public sealed class HighPrecisionGemmTests(ITestOutputHelper output)
{
    /// <summary>y = x·Wᵀ + bias at <paramref name="high"/> precision (else the six terms), through the twins when <paramref name="scalar"/>.</summary>
    internal static float[] Run(float[] x, SixTermMatrix w, float[] bias, int m, bool scalar, bool high)
    {
        int was = SixTermGemm.EnterHigh(high);
        try
        {
            return SixTermGemmTests.Run(x, w, bias, m, scalar);
        }
        finally
        {
            SixTermGemm.RestoreHigh(was);
        }
    }

    private static void SameBits(float[] expected, float[] actual, int n, string what) => ThreeTermGemmTests.SameBits(expected, actual, n, what);

    // The tile against its twin on ragged shapes and several k blocks, W's pieces held and split per call from its panels.
    [AmxBf16Fact]
    public void TheHighTileIsItsTwinBitForBit()
    {
        var wide = new ManagedGemm(ManagedGemmKernel.Vector512);
        foreach (var (m, n, k) in SixTermGemmTests.Shapes)
        {
            var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 3 * m + n + k);
            var held = SixTermMatrix.FromRows(w, n, k);
            var split = SixTermMatrix.For(wide.Pack(true, k, n, w, k));
            Assert.True(split.SplitsPerCall);
            foreach (var b in new[] { bias, [] })
            {
                var twin = Run(x, held, b, m, scalar: true, high: true);
                SameBits(twin, Run(x, held, b, m, scalar: false, high: true), n, $"{m}×{n}×{k}, held pieces");
                SameBits(twin, Run(x, split, b, m, scalar: false, high: true), n, $"{m}×{n}×{k}, split per call");
            }
        }
    }

    // x = w = 1 + 2^-10 (pieces 1 and 2^-10): the three terms give 1 + 2^-9 a product, and every sum the tile forms is
    // exact, so y is 384.75 to the bit; the six terms also add x2·w2 = 2^-20 a product (384·2^-20 = 12 ulps of 384.75).
    [Fact]
    public void HighDropsExactlyTheSecondPiecesProduct()
    {
        const int m = 33, n = 40, k = 384;
        var x = Enumerable.Repeat(1f + MathF.Pow(2, -10), m * k).ToArray();
        var w = Enumerable.Repeat(1f + MathF.Pow(2, -10), n * k).ToArray();
        var held = SixTermMatrix.FromRows(w, n, k);
        bool scalar = !HighTileAmx.IsSupported;
        var high = Run(x, held, [], m, scalar, high: true);
        var highest = Run(x, held, [], m, scalar, high: false);
        Assert.All(high, v => Assert.Equal(384.75f, v));
        Assert.All(highest, v => Assert.Equal(384.75 + 384 * Math.Pow(2, -20), v));
    }

    // The bound HighTileAmx derives: per product 3·2^-16 (and second-order terms) of |x·w|, plus the float32 sums'
    // rounding, (K/32·3 + 17)·2^-24 of Σ|x·w|, plus the bias's; against float64 at BERT-base's 768 and 3072 deep and
    // MiniLM's 384 and 1536. The observed error is also above the six terms' (it is the trade), and far below bfloat16's
    // 2^-8.
    [Fact]
    public void TheProductIsWithinItsBoundOfFloat64()
    {
        foreach (int k in new[] { 384, 768, 1536, 3072 })
        {
            const int m = 40, n = 64;
            var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, k);
            var held = SixTermMatrix.FromRows(w, n, k);
            bool scalar = !HighTileAmx.IsSupported;
            var high = Run(x, held, bias, m, scalar, high: true);
            var highest = Run(x, held, bias, m, scalar, high: false);
            double perProduct = 3 * Math.Pow(2, -16) * (1 + Math.Pow(2, -7)), sums = (k / 32.0 * 3 + 17) * Math.Pow(2, -24);
            double worst = 0, highMean = 0, highestMean = 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                var (s, a) = SixTermGemmTests.Float64(x, w, bias, i, j, k);
                double bound = (perProduct + sums) * a + Math.Pow(2, -23) * Math.Abs(bias[j]), e = Math.Abs(high[i * n + j] - s);
                worst = Math.Max(worst, e / bound);
                highMean += e / a;
                highestMean += Math.Abs(highest[i * n + j] - s) / a;
            }
            output.WriteLine($"K {k}: worst {worst:F4} of the bound; mean relative error {highMean / (m * n):E2}, six terms' {highestMean / (m * n):E2}");
            Assert.True(worst <= 1, $"K {k}: error {worst:F3} of the bound");
            Assert.True(highMean > highestMean, $"K {k}: mean relative error {highMean / (m * n):E2}, six terms' {highestMean / (m * n):E2}");
            Assert.True(highMean / (m * n) < Math.Pow(2, -16), $"K {k}: mean relative error {highMean / (m * n):E2}");
        }
    }

    // A tape's Float32Matmul reaches the product: a packed Linear on a tape at High gives the high product's bits, at
    // Highest (the default) the six terms' bits, and the scope puts this thread's setting back.
    [Fact]
    public void ATapesSettingReachesThePackedLinear()
    {
        if (Blas.Backend is not ManagedGemm) return;
        const int m = 45, n = 70, k = 100;
        var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 17);
        int was = SixTermGemm.Override;
        try
        {
            SixTermGemm.Override = 1; // the six-term product on, through the twins on a CPU without AMX
            var weight = new Parameter("w", w, [n, k], weightDecay: false);
            var b = new Parameter("b", bias, [n], weightDecay: false);
            float[] Linear(Float32MatmulPrecision precision)
            {
                var tape = new Tape(recording: false) { PackWeights = true, Float32Matmul = precision };
                var input = tape.Constant(x, m, k);
                return Ops.Linear(tape, input, weight, b).Span.ToArray();
            }
            var pieces = weight.PackedForLinear(holdPieces: false)!.SixTerm;
            SameBits(Run(x, pieces, bias, m, scalar: !HighTileAmx.IsSupported, high: true), Linear(Float32MatmulPrecision.High), n, "High");
            SameBits(Run(x, pieces, bias, m, scalar: !HighTileAmx.IsSupported, high: false), Linear(Float32MatmulPrecision.Highest), n, "Highest");
            Assert.False(SixTermGemm.High);
        }
        finally
        {
            SixTermGemm.Override = was;
        }
    }

    // Against the definition, computed here on its own: each float32 v as p1 = bf16(v) and p2 = bf16(v − p1), rounded to
    // nearest even by this test's bit arithmetic; y = Σ x1w1 + x1w2 + x2w1 (+ bias) in float64; the tile differs from it
    // only by its float32 sums' rounding, (K/32·3 + 17)·2^-24 of Σ of the terms' magnitudes (+ the bias's 2^-24).
    [Fact]
    public void TheProductIsTheThreeTermsOfTheTwoPieceSplit()
    {
        foreach (int k in new[] { 384, 1536 })
        {
            const int m = 35, n = 40;
            var (x, w, bias) = SixTermGemmTests.Inputs(m, n, k, 5 * k);
            var y = Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar: !HighTileAmx.IsSupported, high: true);
            double worst = 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = bias[j], a = 0;
                for (int t = 0; t < k; t++)
                {
                    var (x1, x2) = TwoPieces(x[i * k + t]);
                    var (w1, w2) = TwoPieces(w[j * k + t]);
                    double terms = x1 * w1 + x1 * w2 + x2 * w1;
                    s += terms;
                    a += Math.Abs(x1 * w1) + Math.Abs(x1 * w2) + Math.Abs(x2 * w1);
                }
                double bound = (k / 32.0 * 3 + 17) * Math.Pow(2, -24) * a + Math.Pow(2, -23) * Math.Abs(bias[j]);
                worst = Math.Max(worst, Math.Abs(y[i * n + j] - s) / bound);
            }
            output.WriteLine($"K {k}: {worst:F4} of the sums' bound");
            Assert.True(worst <= 1, $"K {k}: {worst:F3} of the sums' bound");
        }
    }

    // A finite float32's two bfloat16 pieces, rounded to nearest even on its bits.
    private static (double P1, double P2) TwoPieces(float v)
    {
        static float Round(float f)
        {
            uint u = BitConverter.SingleToUInt32Bits(f);
            u = (u + 0x7FFFu + ((u >> 16) & 1)) & 0xFFFF_0000u;
            return BitConverter.UInt32BitsToSingle(u);
        }
        float p1 = Round(v);
        return (p1, Round(v - p1));
    }
}
