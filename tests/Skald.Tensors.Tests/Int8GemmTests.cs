using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The int8 Linear (<see cref="Int8Gemm"/>): every vector tile equals the scalar twin exactly (integer products are
/// exact, the store is shared) — each AVX2 variant (widening every group, every 2 or 4 groups) included, also at the
/// codes' bounds —, the activation quantiser's vector path equals its scalar twin, the result approximates the float32
/// product, a stacked weight's int8 form is its parts' rows, and a quantising tape runs Linear and Linear + GELU in int8.
/// </summary>
public sealed class Int8GemmTests
{
    private static readonly (int M, int K, int N)[] Shapes = [(1, 1, 1), (3, 5, 7), (7, 37, 21), (33, 384, 48), (70, 130, 100)];

    private static float[] Random(Random rng, int count, float scale = 1f)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    private static void SameAsScalar(Int8Kernel kernel, int weightLevels, int? activationLevels = null)
    {
        var rng = new Random(7 + (int)kernel + weightLevels);
        int levels = activationLevels ?? Int8Gemm.ActivationLevels(kernel);
        foreach (var (m, k, n) in Shapes)
        foreach (bool withBias in new[] { false, true })
        {
            var x = Random(rng, m * k, 3f);
            if (m > 2) x.AsSpan(k, k).Clear(); // an all-zero row
            var w = Int8Matrix.Quantize(Random(rng, n * k, 0.2f), n, k, weightLevels);
            var bias = withBias ? Random(rng, n) : [];
            var fast = new float[m * n];
            var twin = new float[m * n];
            Int8Gemm.Linear(x, w, bias, fast, m, kernel, activationLevels);
            Int8Gemm.Linear(x, w, bias, twin, m, Int8Kernel.Scalar, levels);
            Assert.True(fast.AsSpan().SequenceEqual(twin), $"{kernel} differs from the scalar twin at [{m}, {k}]·[{n}, {k}]ᵀ, bias {withBias}");
        }
    }

    // Codes at their bounds: every activation code 127 (or 63) against weights ±L in runs, so that each int16 sum the
    // AVX2 tile forms is as large as the code bounds allow (a tile adding one group too many saturates and differs).
    private static void SameAsScalarAtBounds(int weightLevels, int activationLevels, Int8Kernel kernel = Int8Kernel.Avx2)
    {
        int m = 8, k = 96, n = 32;
        var x = new float[m * k];
        x.AsSpan().Fill(1f); // no negatives: zero point 0, every code the largest
        var wf = new float[n * k];
        for (int j = 0; j < n; j++)
        {
            for (int c = 0; c < k; c++) wf[j * k + c] = j % 2 == 0 ? 1f : (c < k / 2 ? -1f : 1f);
        }
        var w = Int8Matrix.Quantize(wf, n, k, weightLevels);
        var fast = new float[m * n];
        var twin = new float[m * n];
        Int8Gemm.Linear(x, w, [], fast, m, kernel, activationLevels);
        Int8Gemm.Linear(x, w, [], twin, m, Int8Kernel.Scalar, activationLevels);
        Assert.Equal(twin, fast);
    }

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx2, Int8Gemm.WeightLevels(Int8Kernel.Avx2));

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TileWith8BitWeightsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx2, 127);

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TileWith6BitActivationsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx2, 63, 63);

    [KernelFact(Int8Kernel.Avx2)]
    public void Avx2TilesEqualScalarTwinAtTheCodeBounds()
    {
        SameAsScalarAtBounds(127, 127);
        SameAsScalarAtBounds(63, 127);
        SameAsScalarAtBounds(63, 63);
    }

    [Fact]
    public void Avx2TileAddsAsManyGroupsInInt16AsTheCodesAllow()
    {
        Assert.Equal(63, Int8Gemm.WeightLevels(Int8Kernel.Avx2));
        Assert.Equal(127, Int8Gemm.WeightLevels(Int8Kernel.AvxVnni));
        Assert.Equal(63, Int8Gemm.WeightLevels(Int8Kernel.Avx512BW));
        Assert.Equal(127, Int8Gemm.ActivationLevels(Int8Kernel.Avx512BW));
        Assert.Equal(2, Int8TileAvx2.Sums(127, 63)); // the AVX2 default: 2 · 2 · 127 · 63 = 32004
        Assert.Equal(1, Int8TileAvx2.Sums(127, 127)); // 8-bit weights (an older saved folder)
        Assert.Equal(1, Int8TileAvx2.Sums(127, 128));
        Assert.Equal(4, Int8TileAvx2.Sums(63, 63)); // 4 · 2 · 63 · 63 = 31752
        Assert.Equal(2, Int8TileAvx2.Sums(63, 127));
        Assert.Equal(48, Int8Matrix.Quantize(new float[37], 1, 37).PaddedK); // whole runs of 4 groups: no tile has a tail
    }

    [KernelFact(Int8Kernel.AvxVnni)]
    public void VnniTileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.AvxVnni, Int8Gemm.WeightLevels(Int8Kernel.AvxVnni));

    [KernelFact(Int8Kernel.AvxVnni)]
    public void VnniTileWith7BitWeightsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.AvxVnni, 63);

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void Vnni512TileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512Vnni, Int8Gemm.WeightLevels(Int8Kernel.Avx512Vnni));

    [KernelFact(Int8Kernel.Avx512Vnni)]
    public void Vnni512TileEqualsScalarTwinAtTheCodeBounds()
    {
        SameAsScalarAtBounds(127, 255, Int8Kernel.Avx512Vnni);
        SameAsScalarAtBounds(63, 255, Int8Kernel.Avx512Vnni);
    }

    // The assembled tile itself, one and two panels, against the scalar twin on random 8-bit codes (every byte value
    // of a and of the weights possible), a's rows wider than the depth it reads, the sums stored with a wider stride.
    [KernelFact(Int8Kernel.Avx512Vnni)]
    public unsafe void Vnni512TileOfOneAndTwoPanelsEqualsScalarTiles()
    {
        var rng = new Random(29);
        foreach (int groups in new[] { 1, 4, 96, 384 })
        foreach (int panels in new[] { 1, 2 })
        {
            int lda = groups * Int8Matrix.GroupDepth + 12, ldc = 40;
            var a = new byte[Int8TileVnni512.Rows * lda];
            var w = new sbyte[2 * groups * Int8Matrix.GroupDepth * Int8Matrix.PanelWidth];
            rng.NextBytes(a);
            rng.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
            var fast = new int[Int8TileVnni512.Rows * ldc];
            fast.AsSpan().Fill(-7); // untouched columns keep it
            var twin = new int[2 * Int8Gemm.TileRows * Int8Matrix.PanelWidth];
            long panelBytes = (long)groups * Int8Matrix.GroupDepth * Int8Matrix.PanelWidth;
            fixed (byte* pa = a)
            fixed (sbyte* pw = w)
            fixed (int* pf = fast, pt = twin)
            {
                Int8TileVnni512.Tile(pa, lda, pw, panelBytes, panels, groups, pf, ldc);
                for (int p = 0; p < 2; p++)
                {
                    Int8TileScalar.Tile(pa, lda, pw + p * panelBytes, groups, pt);
                    Int8TileScalar.Tile(pa + 4 * lda, lda, pw + p * panelBytes, groups, pt + Int8Gemm.TileRows * Int8Matrix.PanelWidth);
                    for (int r = 0; r < Int8TileVnni512.Rows; r++)
                    for (int c = 0; c < Int8Matrix.PanelWidth; c++)
                    {
                        int expected = p < panels ? twin[r * Int8Matrix.PanelWidth + c] : -7;
                        Assert.True(expected == fast[r * ldc + p * Int8Matrix.PanelWidth + c],
                            $"groups {groups}, {panels} panel(s): row {r}, panel {p}, column {c}");
                    }
                }
                for (int r = 0; r < Int8TileVnni512.Rows; r++)
                    Assert.All(fast.AsSpan(r * ldc + 32, ldc - 32).ToArray(), v => Assert.Equal(-7, v));
            }
        }
    }

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TileEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512BW, Int8Gemm.WeightLevels(Int8Kernel.Avx512BW));

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TileWith8BitWeightsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512BW, 127);

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TileWith6BitActivationsEqualsScalarTwinExactly() => SameAsScalar(Int8Kernel.Avx512BW, 63, 63);

    [KernelFact(Int8Kernel.Avx512BW)]
    public void Avx512TilesEqualScalarTwinAtTheCodeBounds()
    {
        SameAsScalarAtBounds(127, 127, Int8Kernel.Avx512BW);
        SameAsScalarAtBounds(63, 127, Int8Kernel.Avx512BW);
        SameAsScalarAtBounds(63, 63, Int8Kernel.Avx512BW);
    }

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
        TestUtil.AssertClose(twin, fused, 1e-6, 1e-6, "GELU (tanh) row kernel in the store"); // (its lanes and tail may round apart)
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
