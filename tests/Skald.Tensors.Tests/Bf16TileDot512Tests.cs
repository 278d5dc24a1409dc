using Iced.Intel;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The assembled <c>vdpbf16ps</c> tile: bit for bit its scalar twin on random bfloat16 panels (one and two panels, rows
/// wider than the depth read, a wider store stride), and its machine code keeps to both x64 calling conventions.
/// </summary>
public sealed class Bf16TileDot512Tests
{
    // Random normal bfloat16 values of mixed sign and magnitudes 2^-6..2^6 (sums far from float32's denormals).
    internal static ushort RandomBf16(Random rng)
    {
        float v = (float)((rng.NextDouble() + 0.5) * Math.Pow(2, rng.Next(-6, 7)) * (rng.Next(2) == 0 ? -1 : 1));
        return Bf16.FromSingle(v);
    }

    [Bf16Fact]
    public unsafe void TileOfOneAndTwoPanelsEqualsScalarTwinBitForBit()
    {
        var rng = new Random(41);
        foreach (int pairs in new[] { 1, 2, 7, 192, 384 })
        foreach (int panels in new[] { 1, 2 })
        {
            int lda = 2 * pairs + 6, ldc = 40, tw = Bf16Matrix.PanelWidth;
            var a = new ushort[Bf16TileDot512.Rows * lda];
            var w = new ushort[2 * pairs * 2 * tw];
            for (int i = 0; i < a.Length; i++) a[i] = RandomBf16(rng);
            for (int i = 0; i < w.Length; i++) w[i] = RandomBf16(rng);
            var fast = new float[Bf16TileDot512.Rows * ldc];
            fast.AsSpan().Fill(-7f); // untouched columns keep it
            var twin = new float[Bf16TileDot512.Rows * tw];
            long panelValues = 2L * pairs * tw;
            fixed (ushort* pa = a, pw = w)
            fixed (float* pf = fast, pt = twin)
            {
                Bf16TileDot512.Tile(pa, lda, pw, panelValues, panels, pairs, pf, ldc);
                for (int p = 0; p < 2; p++)
                {
                    Bf16TileScalar.Tile(pa, lda, pw + p * panelValues, pairs, pt, tw);
                    for (int r = 0; r < Bf16TileDot512.Rows; r++)
                    for (int c = 0; c < tw; c++)
                    {
                        float expected = p < panels ? twin[r * tw + c] : -7f;
                        float got = fast[r * ldc + p * tw + c];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(got),
                            $"pairs {pairs}, {panels} panel(s): row {r}, panel {p}, column {c}: {got} vs the twin's {expected}");
                    }
                }
                for (int r = 0; r < Bf16TileDot512.Rows; r++)
                    Assert.All(fast.AsSpan(r * ldc + 32, ldc - 32).ToArray(), v => Assert.Equal(-7f, v));
            }
        }
    }

    // The scalar twin itself against a float64 sum of the same products: within float32's summation bound.
    [Fact]
    public unsafe void ScalarTwinIsTheFloat32SumOfTheBf16Products()
    {
        var rng = new Random(5);
        int pairs = 33, lda = 2 * pairs, tw = Bf16Matrix.PanelWidth;
        var a = new ushort[Bf16TileDot512.Rows * lda];
        var w = new ushort[pairs * 2 * tw];
        for (int i = 0; i < a.Length; i++) a[i] = RandomBf16(rng);
        for (int i = 0; i < w.Length; i++) w[i] = RandomBf16(rng);
        var twin = new float[Bf16TileDot512.Rows * tw];
        fixed (ushort* pa = a, pw = w)
        fixed (float* pt = twin)
            Bf16TileScalar.Tile(pa, lda, pw, pairs, pt, tw);
        for (int r = 0; r < Bf16TileDot512.Rows; r++)
        for (int c = 0; c < tw; c++)
        {
            double sum = 0, magnitude = 0;
            for (int k = 0; k < 2 * pairs; k++)
            {
                double prod = (double)Bf16.ToSingle(a[r * lda + k]) * Bf16.ToSingle(w[(k / 2) * 2 * tw + c * 2 + k % 2]);
                sum += prod;
                magnitude += Math.Abs(prod);
            }
            Assert.True(Math.Abs(twin[r * tw + c] - sum) <= (2 * pairs + 1) * Math.Pow(2, -24) * magnitude,
                $"row {r}, column {c}: {twin[r * tw + c]} vs {sum}");
        }
    }

    // One and two panels, System V and Windows (decoded, so on any CPU): one vdpbf16ps with m32bcst per row and panel.
    [Fact]
    public void TheTileKeepsToBothCallingConventions()
    {
        foreach (bool windows in new[] { false, true })
        foreach (int panels in new[] { 1, 2 })
        {
            var code = Int8TileVnni512AbiTests.Decode(Bf16TileDot512.Assemble(panels, windows));
            Assert.Equal(windows ? Register.RCX : Register.RDI, code[2].Op1Register); // the argument block
            Int8TileVnni512AbiTests.KeepsToTheConventions(code);
            Assert.Equal(Bf16TileDot512.Rows * panels, code.Count(i => i.Mnemonic == Mnemonic.Vdpbf16ps));
            Assert.All(code.Where(i => i.Mnemonic == Mnemonic.Vdpbf16ps), i => Assert.True(i.IsBroadcast, $"{i}: not m32bcst"));
        }
    }
}
