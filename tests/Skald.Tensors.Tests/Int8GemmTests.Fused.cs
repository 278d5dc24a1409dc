using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The int8 Linear on a quantising tape and in its fused forms: Linear, Linear + GELU with the activation in the store,
/// the row split against row-by-row products, and Linear + add + LayerNorm, each the bytes of its unfused steps.
/// </summary>
public sealed partial class Int8GemmTests
{
    [Fact]
    public void QuantizedTapeRunsLinearInInt8()
    {
        var rng = new Random(5);
        var weight = new Parameter("w", Random(rng, 24 * 32, 0.2f), [24, 32], weightDecay: true);
        var x = Random(rng, 6 * 32);
        var plain = new Tape(recording: false);
        var quant = new Tape(recording: false) { QuantizeLinear = true };
        var yf = Ops.Linear(plain, plain.Constant(x, 6, 32), weight, null).Span.ToArray();
        var yq = Ops.Linear(quant, quant.Constant(x, 6, 32), weight, null).Span.ToArray();
        if (Int8Gemm.Best is null)
        {
            Assert.Equal(yf, yq); // no int8 instructions: float32
            return;
        }
        Assert.NotEqual(yf, yq);
        var expected = new float[6 * 24];
        Int8Gemm.Linear(x, Int8Weights.For(weight)!, [], expected, 6);
        Assert.Equal(expected, yq);
    }

    [Theory]
    [InlineData(48)]
    [InlineData(40)]
    public void QuantizedTapeRunsLinearGeluInInt8WithTheActivationInTheStore(int outF)
    {
        var rng = new Random(outF);
        int n = 9, inF = 64;
        var weight = new Parameter("w", Random(rng, outF * inF, 0.2f), [outF, inF], weightDecay: true);
        var bias = new Parameter("b", Random(rng, outF, 0.5f), [outF], weightDecay: false);
        var x = Random(rng, n * inF);
        var tape = new Tape(recording: false) { PackWeights = true, QuantizeLinear = true };
        var fused = Ops.LinearActivation(tape, tape.Constant(x, n, inF), weight, bias, ActivationKind.Gelu).Span.ToArray();
        var plain = new Tape(recording: false) { PackWeights = true };
        var f32 = Ops.LinearActivation(plain, plain.Constant(x, n, inF), weight, bias, ActivationKind.Gelu).Span.ToArray();
        if (Int8Gemm.Best is null)
        {
            Assert.Equal(f32, fused); // no int8 instructions: float32
            return;
        }
        var expected = new float[n * outF];
        Int8Gemm.Linear(x, Int8Weights.For(weight)!, bias.Data.Span, expected, n);
        Kernels.Activations.Gelu(expected, expected);
        Assert.Equal(expected, fused); // int8 Linear then GELU, the activation mapped in the int8 store
        Assert.NotEqual(f32, fused);
        for (int i = 0; i < f32.Length; i++) Assert.InRange(fused[i] - f32[i], -0.05f, 0.05f);
    }

    [Fact]
    public void RowSplitGivesTheBytesOfRowByRowProductsAndGeluInTheStoreTheBytesOfTheKernel()
    {
        if (Int8Gemm.Best is not { } kernel) return;
        // Enough row blocks (64 rows) that every thread gets 4 or more: the work splits by rows, not by panels.
        int m = 4 * 64 * Environment.ProcessorCount + 37, k = 72, n = 40;
        var rng = new Random(m);
        var x = Random(rng, m * k, 3f);
        x.AsSpan(5 * k, k).Clear(); // an all-zero row
        var w = Int8Matrix.Quantize(Random(rng, n * k, 0.2f), n, k);
        var bias = Random(rng, n);
        var whole = new float[m * n];
        Int8Gemm.Linear(x, w, bias, whole, m);
        var rows = new float[m * n];
        for (int i = 0; i < m; i++) Int8Gemm.Linear(x.AsSpan(i * k, k), w, bias, rows.AsSpan(i * n, n), 1);
        Assert.True(whole.AsSpan().SequenceEqual(rows), "row split differs from row-by-row products");
        var twin = new float[m * n];
        Int8Gemm.Linear(x, w, bias, twin, m, Int8Kernel.Scalar, Int8Gemm.ActivationLevels(kernel));
        Assert.True(whole.AsSpan().SequenceEqual(twin), $"{kernel} differs from the scalar twin with the row split");
        var fused = new float[m * n];
        Int8Gemm.LinearActivation(x, w, bias, fused, m, ActivationKind.Gelu);
        Kernels.Activations.Gelu(whole, whole);
        Assert.True(whole.AsSpan().SequenceEqual(fused), "GELU in the store differs from GELU after it");
        Int8Gemm.LinearActivation(x, w, bias, fused, m, ActivationKind.GeluTanh); // a row kernel after the store
        Int8Gemm.Linear(x, w, bias, twin, m);
        Kernels.Activations.GeluTanh(twin, twin);
        Assert.True(twin.AsSpan().SequenceEqual(fused), "GELU (tanh) row kernel in the store differs from GELU (tanh) after it"); // a tail goes through the lanes too
    }

    [Theory]
    [InlineData(9)] // panels split
    [InlineData(0)] // rows split (set below from the processor count)
    public void LinearAddLayerNormGivesTheBytesOfTheProductThenTheAddThenLayerNorm(int rows)
    {
        if (Int8Gemm.Best is null) return;
        int m = rows > 0 ? rows : 4 * 64 * Environment.ProcessorCount + 11, k = 48, n = 40;
        var rng = new Random(m);
        var x = Random(rng, m * k, 2f);
        var w = Int8Matrix.Quantize(Random(rng, n * k, 0.3f), n, k);
        var (bias, residual, gamma, beta) = (Random(rng, n), Random(rng, m * n, 2f), Random(rng, n), Random(rng, n));
        var expected = new float[m * n];
        Int8Gemm.Linear(x, w, bias, expected, m);
        System.Numerics.Tensors.TensorPrimitives.Add(expected, residual, expected);
        var (meanE, rstdE) = (new float[m], new float[m]);
        Kernels.LayerNorm.Forward(expected, gamma, beta, expected, meanE, rstdE, m, n, 1e-12f);
        var y = new float[m * n];
        var (mean, rstd) = (new float[m], new float[m]);
        Int8Gemm.LinearAddLayerNorm(x, w, bias, residual, gamma, beta, y, mean, rstd, m, 1e-12f);
        Assert.True(expected.AsSpan().SequenceEqual(y), "fused int8 product + add + LayerNorm differs");
        Assert.Equal(meanE, mean);
        Assert.Equal(rstdE, rstd);
        // Through the tape: the fused op equals the int8 Linear followed by AddDropoutLayerNorm.
        var weight = new Parameter("w", Random(rng, n * k, 0.3f), [n, k], weightDecay: true);
        var b = new Parameter("b", bias, [n], weightDecay: false);
        var g = new Parameter("g", gamma, [n], weightDecay: false);
        var be = new Parameter("be", beta, [n], weightDecay: false);
        var tape = new Tape(recording: false) { PackWeights = true, QuantizeLinear = true };
        var fused = Ops.LinearAddLayerNorm(tape, tape.Constant(x, m, k), weight, b, tape.Constant(residual, m, n), g, be, 1e-12f, 0f)
            .Span.ToArray();
        var two = Ops.AddDropoutLayerNorm(tape, Ops.Linear(tape, tape.Constant(x, m, k), weight, b), tape.Constant(residual, m, n),
            g, be, 1e-12f, 0f).Span.ToArray();
        Assert.Equal(two, fused);
    }
}
