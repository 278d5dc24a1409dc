using System.Runtime.Intrinsics;
using Skald.Tensors.Kernels;
using Xunit.Abstractions;

namespace Skald.Tensors.Tests;

/// <summary>
/// The float erf and GELU (<see cref="VectorMath"/>, <see cref="ErfTable"/>): lanes equal the scalar twin bit for bit,
/// and both stay within a stated bound of the double-precision reference.
/// </summary>
public sealed class FloatErfTests(ITestOutputHelper output)
{
    // A dense grid over [-6, 6], every piece boundary k/4 (and the floats either side of it, scaled by √2 for GELU's
    // argument too), and the special values.
    private static float[] Inputs()
    {
        var xs = new List<float>();
        for (int i = -60000; i <= 60000; i++) xs.Add(i * 1e-4f);
        for (int k = 0; k <= 24; k++)
        {
            foreach (float b in new[] { k / 4f, k / 4f * MathF.Sqrt(2f) })
            {
                xs.AddRange([b, MathF.BitIncrement(b), MathF.BitDecrement(b), -b, -MathF.BitIncrement(b)]);
            }
        }
        xs.AddRange([0f, -0f, float.Epsilon, -float.Epsilon, 1e-30f, 1e-7f, -3e-5f, 7.9f, 40f, -1e30f, float.MaxValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN]);
        var rng = new Random(11);
        for (int i = 0; i < 20000; i++) xs.Add((float)(rng.NextDouble() * 12 - 6));
        return [.. xs];
    }

    [Fact]
    public void ErfLanesEqualTheScalarTwinBitForBit()
    {
        var x = Inputs();
        var span = new float[x.Length];
        Activations.Erf(x, span); // Vector512 body, Vector256 and scalar tails
        for (int i = 0; i < x.Length; i++) Assert.Equal(Bits(VectorMath.Erf(x[i])), Bits(span[i]));
        for (int i = 0; i + 16 <= x.Length; i += 16)
        {
            var v512 = VectorMath.Erf(Vector512.Create(x.AsSpan(i, 16)));
            var v256 = VectorMath.Erf(Vector256.Create(x.AsSpan(i, 8)));
            for (int j = 0; j < 16; j++) Assert.Equal(Bits(VectorMath.Erf(x[i + j])), Bits(v512[j]));
            for (int j = 0; j < 8; j++) Assert.Equal(Bits(VectorMath.Erf(x[i + j])), Bits(v256[j]));
        }
    }

    [Fact]
    public void ErfIsWithin7eMinus8OfTheDoubleReference()
    {
        double worstAbs = 0, worstRel = 0;
        float at = 0;
        foreach (float x in Inputs())
        {
            float y = VectorMath.Erf(x);
            if (float.IsNaN(x))
            {
                Assert.True(float.IsNaN(y), "erf(NaN) is NaN");
                continue;
            }
            double e = Activations.Erf((double)x);
            double abs = Math.Abs(y - e);
            if (abs > worstAbs) (worstAbs, at) = (abs, x);
            if (Math.Abs(e) > 1e-30) worstRel = Math.Max(worstRel, abs / Math.Abs(e));
            Assert.True(Math.Abs(y) <= 1f, $"|erf({x:R})| = {y:R} > 1");
            Assert.Equal(x < 0 || (x == 0 && float.IsNegative(x)), float.IsNegative(y));
        }
        output.WriteLine($"float erf: max absolute error {worstAbs:E2} (at {at:R}), max relative {worstRel:E2}");
        Assert.True(worstAbs <= 7e-8, $"absolute error {worstAbs:E2} at {at:R}");
        Assert.True(worstRel <= 2e-7, $"relative error {worstRel:E2}");
    }

    [Fact]
    public void GeluLanesEqualTheScalarTwinAndStayNearTheDoubleReference()
    {
        var x = Inputs().Where(float.IsFinite).Where(v => Math.Abs(v) < 1e6f).ToArray();
        var y = new float[x.Length];
        var reference = new float[x.Length];
        Activations.Gelu(x, y);
        Activations.GeluReference(x, reference);
        double worst = 0;
        float at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(Bits(Activations.GeluOf(x[i])), Bits(y[i]));
            // The erf's 6e-8 scaled by x/2, plus the rounding of the result.
            double err = Math.Abs((double)y[i] - reference[i]) / (1.0 + Math.Abs(x[i]));
            if (err > worst) (worst, at) = (err, x[i]);
        }
        output.WriteLine($"float gelu: max |error| / (1 + |x|) {worst:E2} (at {at:R})");
        Assert.True(worst <= 1e-7, $"gelu error {worst:E2} · (1 + |x|) at {at:R}");
    }

    private static int Bits(float v) => BitConverter.SingleToInt32Bits(v);
}
