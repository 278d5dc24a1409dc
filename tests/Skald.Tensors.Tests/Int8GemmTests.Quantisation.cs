using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The int8 Linear's quantisation (<see cref="Int8Activations"/>, <see cref="Int8Matrix"/>): the activation quantiser's
/// vector path equals its scalar twin and takes its scale from each row's range, the scalar twin approximates the float32
/// product, a stacked weight's int8 form is its parts' rows, and the kernel and weight levels chosen for a CPU.
/// </summary>
public sealed partial class Int8GemmTests
{
    [Theory]
    [InlineData(63)]
    [InlineData(127)]
    [InlineData(255)]
    public void ActivationQuantiserVectorPathEqualsScalarTwin(int levels)
    {
        var rng = new Random(levels);
        foreach (int k in new[] { 1, 31, 32, 47, 100, 384, 1536 })
        {
            int m = 5, ldq = k + 3;
            var x = Random(rng, m * k, 4f);
            for (int i = 0; i < k; i++) x[2 * k + i] = MathF.Abs(x[2 * k + i]); // a row without negatives: zero point 0
            var (qa, sa, za) = (new byte[m * ldq], new float[m], new int[m]);
            var (qb, sb, zb) = (new byte[m * ldq], new float[m], new int[m]);
            qa.AsSpan().Fill(9);
            Int8Activations.Quantize(x, m, k, levels, qa, ldq, sa, za);
            Int8Activations.Quantize(x, m, k, levels, qb, ldq, sb, zb, vectorized: false);
            Assert.Equal(qb, qa);
            Assert.Equal(sb, sa);
            Assert.Equal(zb, za);
            Assert.All(qa, b => Assert.InRange(b, 0, levels));
            for (int i = 0; i < m; i++)
            {
                Assert.Equal(0, qa[i * ldq + k]); // padding cleared
                for (int c = 0; c < k; c++) Assert.InRange(sa[i] * (qa[i * ldq + c] - za[i]) - x[i * k + c], -sa[i] * 0.51f, sa[i] * 0.51f);
            }
        }
    }

    [Theory]
    [InlineData(127, 255, 0.005)]
    [InlineData(127, 127, 0.008)]
    [InlineData(63, 127, 0.01)]
    [InlineData(63, 63, 0.016)]
    public void ScalarTwinApproximatesTheFloatProduct(int weightLevels, int activationLevels, double tolerance)
    {
        var rng = new Random(3);
        int m = 16, k = 256, n = 40;
        var x = Random(rng, m * k);
        var wf = Random(rng, n * k, 0.1f);
        var bias = Random(rng, n);
        var exact = new float[m * n];
        Kernels.Linear.Forward(x, wf, bias, exact, m, k, n);
        var y = new float[m * n];
        Int8Gemm.Linear(x, Int8Matrix.Quantize(wf, n, k, weightLevels), bias, y, m, Int8Kernel.Scalar, activationLevels);
        double err = 0, norm = 0;
        for (int i = 0; i < y.Length; i++)
        {
            err += (y[i] - exact[i]) * (y[i] - exact[i]);
            norm += exact[i] * exact[i];
        }
        Assert.True(Math.Sqrt(err / norm) < tolerance, $"relative error {Math.Sqrt(err / norm)} with {weightLevels}/{activationLevels} levels");
    }

    [Fact]
    public void WeightQuantisationRoundTripsAndStacksPartsBitForBit()
    {
        var rng = new Random(11);
        var w = Random(rng, 20 * 9);
        var m = Int8Matrix.Quantize(w, 20, 9);
        var values = new sbyte[20 * 9];
        for (int j = 0; j < 20; j++) m.CopyRow(j, values.AsSpan(j * 9, 9));
        var again = Int8Matrix.FromQuantized(values, m.Scales.AsSpan(0, 20), 20, 9);
        Assert.Equal(m.Dequantize(), again.Dequantize());
        var deq = m.Dequantize();
        for (int i = 0; i < w.Length; i++) Assert.InRange(deq[i] - w[i], -m.Scales[i / 9] * 0.5001f, m.Scales[i / 9] * 0.5001f);

        if (Int8Gemm.Best is null) return;
        var (whole, parts) = Parameter.Stack("qkv", [("q", [20, 9]), ("k", [20, 9])], weightDecay: true);
        w.CopyTo(parts[0].Data.Span);
        Random(rng, 180).CopyTo(parts[1].Data.Span);
        var direct = Int8Matrix.Quantize(whole.Data.Span, 40, 9);
        Int8Weights.Attach(parts[0], Int8Weights.For(parts[0])!);
        Int8Weights.Attach(parts[1], Int8Weights.For(parts[1])!);
        var stacked = Int8Weights.For(whole)!;
        Assert.Equal(direct.Dequantize(), stacked.Dequantize());
        Assert.Equal(direct.Packed, stacked.Packed);
        Assert.Equal(direct.RowSums, stacked.RowSums);
    }

    [Fact]
    public void ActivationScaleComesFromTheRowsMinAndMaxAndNonFiniteRowsQuantiseToZeros()
    {
        var rng = new Random(17);
        foreach (int k in new[] { 1, 7, 8, 9, 384 })
        {
            var x = Random(rng, 3 * k, 5f);
            x[k + k / 2] = float.NaN;
            x[2 * k + k - 1] = float.PositiveInfinity;
            var (q, scales, zeros) = (new byte[3 * k], new float[3], new int[3]);
            q.AsSpan().Fill(7);
            Int8Activations.Quantize(x, 3, k, 127, q, k, scales, zeros);
            var row = x.AsSpan(0, k);
            float lo = MathF.Min(0f, System.Numerics.Tensors.TensorPrimitives.Min(row)), hi = MathF.Max(0f, System.Numerics.Tensors.TensorPrimitives.Max(row));
            Assert.Equal(hi > lo ? (hi - lo) / 127 : 0f, scales[0]);
            Assert.Equal([0f, 0f], scales[1..]);
            Assert.Equal([0, 0], zeros[1..]);
            Assert.All(q.AsSpan(k).ToArray(), b => Assert.Equal(0, b));
        }
    }

    [Theory]
    [InlineData(true, true, true, true, true, Int8Kernel.Avx512Vnni)] // Zen 5: 512-bit vpdpbusd measured 1.27-1.51x the 512-bit vpmaddubsw tile
    [InlineData(false, true, true, true, true, Int8Kernel.Avx512BW)] // AMD without AVX512-VNNI: vpmaddubsw measured faster than 256-bit vpdpbusd
    [InlineData(true, false, true, true, true, Int8Kernel.Avx512Vnni)] // Zen 4: AVX512-VNNI without AVX-VNNI; 512-bit vpdpbusd measured 1.2-1.7x the vpmaddubsw tile (2026-12-06)
    [InlineData(true, true, true, true, false, Int8Kernel.Avx512Vnni)] // Intel Xeon: 512-bit vpdpbusd measured 1.4-2.1x the 256-bit
    [InlineData(true, false, true, true, false, Int8Kernel.Avx512Vnni)] // Cascade Lake / Ice Lake: AVX512-VNNI without AVX-VNNI
    [InlineData(false, true, true, true, false, Int8Kernel.AvxVnni)] // Intel with AVX-512: 256-bit vpdpbusd measured faster than AVX-512BW
    [InlineData(false, false, true, true, false, Int8Kernel.Avx512BW)] // AVX-512 without VNNI (Skylake-SP)
    [InlineData(false, false, true, true, true, Int8Kernel.Avx512BW)]
    [InlineData(false, true, false, true, false, Int8Kernel.AvxVnni)] // Alder Lake: AVX-VNNI, no AVX-512
    [InlineData(false, true, false, true, true, Int8Kernel.AvxVnni)]
    [InlineData(false, false, false, true, false, Int8Kernel.Avx2)]
    [InlineData(false, false, false, false, true, null)]
    public void TheBestKernelFollowsTheMeasuredOrderForEachVendor(bool vnni512, bool vnni, bool avx512bw, bool avx2, bool amd,
        Int8Kernel? expected) =>
        Assert.Equal(expected, Int8Gemm.Pick(vnni512, vnni, avx512bw, avx2, amd));

    [Fact]
    public void DefaultWeightLevelsAreTheBestKernels()
    {
        var rng = new Random(13);
        var m = Int8Matrix.Quantize(Random(rng, 24 * 40), 24, 40);
        Assert.Equal(Int8Gemm.WeightLevels(Int8Gemm.Best ?? Int8Kernel.Avx2), m.MaxMagnitude); // each row's max reaches ±L
        var values = new sbyte[] { 5, -128, 127, 0 };
        Assert.Equal(128, Int8Matrix.FromQuantized(values, [1f], 1, 4).MaxMagnitude); // stored values as they are
    }
}
