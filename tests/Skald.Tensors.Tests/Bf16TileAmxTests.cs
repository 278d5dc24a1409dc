using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The AMX bfloat16 tile (<see cref="Bf16TileAmx"/>) and <c>--quantize bf16</c> on it: the twin's order against a sum
/// worked by hand, the hardware bit for bit the twin's over every tile shape (wide exponents, bfloat16 denormals,
/// products that underflow), and <see cref="Bf16Gemm"/> on an AMX host giving tdpbf16ps's bits at ragged edges.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class Bf16TileAmxTests
{
    private const int Ldc = 136, Panels = 8, Wide = Panels * Bf16Matrix.PanelWidth;

    // One chunk whose even k hold 2^12 · 2^12 at k = 0 and whose odd k hold sixteen products 1 · 1: the SDM's order
    // sums the odd products apart (16, exact) and adds 2^24 + 16 (exact in float32); adding each 1 to 2^24 in turn, as
    // vdpbf16ps's order does, rounds every 2^24 + 1 back to 2^24 (ties to even).
    [Fact]
    public unsafe void TheTwinSumsEvenAndOddApartAsTheSdmSays()
    {
        var a = new ushort[32];
        var w = new ushort[32 * Bf16Matrix.PanelWidth];
        a[0] = Bf16.FromSingle(4096f);
        w[0] = Bf16.FromSingle(4096f);
        for (int t = 0; t < 16; t++)
        {
            a[2 * t + 1] = Bf16.FromSingle(1f);
            w[t * 32 + 1] = Bf16.FromSingle(1f);
        }
        var amx = new float[16];
        var dot = new float[8 * 16];
        fixed (ushort* pa = a, pw = w)
        fixed (float* pm = amx, pd = dot)
        {
            Bf16TileAmxScalar.Tile(pa, 32, pw, 1, 1, pm, 16); // one row, the panel's 16 columns (column 0 the one set)
            Bf16TileScalar.Tile(pa, 0, pw, 16, pd, 16); // 8 rows, all of them row 0 (lda 0)
        }
        Assert.Equal(16777232f, amx[0]);
        Assert.Equal(16777216f, dot[0]);
    }

    // bfloat16 bits over exponents 2^-8..2^8 with every sign, and some zeros, denormals and values near 2^-70 (their
    // products underflow float32 and flush to zero).
    private static ushort[] Values(Random rng, int count)
    {
        var v = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            int kind = rng.Next(20), sign = rng.Next(2) << 15, mantissa = rng.Next(128);
            int exponent = kind switch { 0 => 0, 1 => 0, 2 => 127 - 70 + rng.Next(8), _ => 127 - 8 + rng.Next(17) };
            v[i] = (ushort)(kind == 0 ? sign : sign | exponent << 7 | mantissa);
        }
        return v;
    }

    [AmxBf16Fact]
    public unsafe void AmxTileOfEveryShapeEqualsTheScalarTwin()
    {
        var rng = new Random(16);
        foreach (int chunks in new[] { 1, 2, 5, 13 })
        foreach (int rowTiles in new[] { 1, 2 })
        foreach (int panels in new[] { 1, 2, 3, 5, 8 })
        {
            int k = chunks * Bf16TileAmx.Depth, lda = k + 24, rows = 2 * Bf16TileAmx.Rows;
            var a = Values(rng, rows * lda);
            var w = Values(rng, Panels * k * Bf16Matrix.PanelWidth);
            long panelValues = (long)k * Bf16Matrix.PanelWidth;
            var fast = new float[rows * Ldc];
            var twin = new float[rows * Wide];
            fast.AsSpan().Fill(-7f); // what the tile does not write keeps it
            fixed (ushort* pa = a, pw = w)
            fixed (float* pf = fast, pt = twin)
            {
                Assert.True(Bf16TileAmx.Tile(pa, lda, pw, panelValues, rowTiles, panels, chunks, pf, Ldc));
                for (int p = 0; p < Panels; p++)
                    Bf16TileAmxScalar.Tile(pa, lda, pw + p * panelValues, rows, chunks, pt + p * Bf16Matrix.PanelWidth, Wide);
            }
            for (int r = 0; r < rows; r++)
            for (int c = 0; c < Ldc; c++)
            {
                bool written = r < rowTiles * Bf16TileAmx.Rows && c < panels * Bf16Matrix.PanelWidth;
                float expected = written ? twin[r * Wide + c] : -7f;
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(fast[r * Ldc + c]),
                    $"{chunks} chunk(s), {rowTiles} row tile(s) × {panels} panel(s): row {r}, column {c}: {fast[r * Ldc + c]} vs {expected}");
            }
        }
    }

    // Bf16Gemm on an AMX host, K a multiple of 32, any rows (a decoding step's too): y equals, bit for bit, bf16(x) · W through the
    // twin's tdpbf16ps order, tile by tile, plus the bias. M of 1 and 5 (one row tile, mostly padding), M not a multiple of 16, 32 or the
    // 64-row block (one or two row tiles a call), N an odd number of panels and a part-filled last one; M = 600 at 2 threads splits by rows.
    [AmxBf16Fact]
    public unsafe void Bf16GemmOnAmxGivesTdpbf16psBits()
    {
        var rng = new Random(17);
        foreach (var (m, n, k) in new[] { (1, 40, 64), (5, 33, 32), (9, 33, 32), (17, 40, 64), (33, 16, 96), (70, 47, 128), (600, 35, 64) })
        foreach (bool bias in new[] { true, false })
        {
            Assert.True(Bf16Gemm.UsesAmx(k));
            var x = new float[m * k];
            var wf = new float[n * k];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            for (int i = 0; i < wf.Length; i++) wf[i] = (float)(rng.NextDouble() * 0.4 - 0.2);
            var b = bias ? Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray() : [];
            var weight = Bf16Matrix.FromSingle(wf, n, k);
            var y = new float[m * n];
            int saved = Parallelism.MaxThreads;
            try
            {
                Parallelism.MaxThreads = 2;
                Bf16Gemm.Linear(x, weight, b, y, m);
            }
            finally
            {
                Parallelism.MaxThreads = saved;
            }
            var rounded = new ushort[m * k];
            for (int i = 0; i < rounded.Length; i++) rounded[i] = Bf16.FromSingle(x[i]);
            var sums = new float[m * Bf16Matrix.PanelWidth];
            fixed (ushort* pa = rounded, pw = weight.Packed)
            fixed (float* ps = sums)
            {
                for (int p = 0; p < weight.PaddedN / Bf16Matrix.PanelWidth; p++)
                {
                    Bf16TileAmxScalar.Tile(pa, k, pw + (long)p * k * Bf16Matrix.PanelWidth, m, k / Bf16TileAmx.Depth, ps, Bf16Matrix.PanelWidth);
                    for (int i = 0; i < m; i++)
                    for (int j = 16 * p; j < Math.Min(n, 16 * p + 16); j++)
                    {
                        float expected = bias ? sums[i * 16 + j - 16 * p] + b[j] : sums[i * 16 + j - 16 * p];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[i * n + j]),
                            $"[{m}, {k}]·[{n}, {k}]ᵀ, bias {bias}: row {i}, column {j}: {y[i * n + j]} vs {expected}");
                    }
                }
            }
        }
    }
}
