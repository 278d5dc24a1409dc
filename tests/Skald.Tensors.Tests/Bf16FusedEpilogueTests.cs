using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The bfloat16 GEMM's fused epilogues against the unfused sequence they replace, bit for bit: exact GELU and GELU (tanh)
/// in the store against <see cref="Bf16Gemm.Linear(ReadOnlySpan{float}, Bf16Matrix, ReadOnlySpan{float}, Span{float}, int)"/>
/// then <see cref="Activations.Gelu"/> / <see cref="Activations.GeluTanh"/>, a gated MLP's f(gate) ⊙ up in the store
/// against the product into [m, 2I] then <see cref="GatedActivation.Forward"/> (SiLU, GELU-tanh, GELU; I = 16 and 48, so
/// a tile's gate and up panels are apart by one panel and by three), and the residual add + LayerNorm on the finished rows against the product then
/// <see cref="LayerNorm.AddDropoutForward"/> (mean and rstd too), with and without bias, for the panel split and the
/// row split (m ≥ 4 · 64 · threads; a small weight normalised in one pass after the product, one over 512 KB in each
/// thread's chunk), N not a multiple of the 32-column tile; the tile (AVX512-BF16) and the scalar twin.
/// </summary>
public sealed class Bf16FusedEpilogueTests
{
    public static TheoryData<int, int, int, bool> Shapes => new()
    {
        { 1, 40, 37, true }, { 13, 21, 64, false }, { 70, 100, 48, true }, { 600, 72, 33, true }, { 600, 40, 16, false },
    };

    private static float[] Random(Random rng, int count, float scale)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return v;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ScalarTwinActivationInTheStoreEqualsProductThenActivation(int m, int n, int k, bool bias) =>
        ActivationInTheStore(m, n, k, bias, scalar: true);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TileActivationInTheStoreEqualsProductThenActivation(int m, int n, int k, bool bias)
    {
        if (!Bf16Gemm.IsSupported) return; // (no AVX512-BF16: the scalar twin's theory above covers the store)
        ActivationInTheStore(m, n, k, bias, scalar: false);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ScalarTwinAddLayerNormOnFinishedRowsEqualsTheThreeOps(int m, int n, int k, bool bias) =>
        AddLayerNormOnFinishedRows(m, n, k, bias, scalar: true);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TileAddLayerNormOnFinishedRowsEqualsTheThreeOps(int m, int n, int k, bool bias)
    {
        if (!Bf16Gemm.IsSupported) return; // (no AVX512-BF16: the scalar twin's theory above covers the epilogue)
        AddLayerNormOnFinishedRows(m, n, k, bias, scalar: false);
    }

    [Bf16Fact]
    public void TileAddLayerNormInTheRowChunksOfALargerWeightEqualsTheThreeOps() =>
        AddLayerNormOnFinishedRows(600, 400, 700, true, scalar: false); // 560 KB of panels: normalised in each thread's chunk

    private static void ActivationInTheStore(int m, int n, int k, bool withBias, bool scalar)
    {
        var rng = new Random(m * 1000 + n * 10 + k);
        var x = Random(rng, m * k, 2f);
        var w = Bf16Matrix.FromSingle(Random(rng, n * k, 0.3f), n, k);
        var bias = withBias ? Random(rng, n, 1f) : [];
        var unfused = new float[m * n];
        Bf16Gemm.Linear(x, w, bias, unfused, m, scalar);
        Activations.Gelu(unfused, unfused);
        var fused = new float[m * n];
        Bf16Gemm.LinearActivation(x, w, bias, fused, m, ActivationKind.Gelu, scalar);
        AssertSameBits(unfused, fused, $"GELU [{m}, {n}, {k}]");
        Bf16Gemm.Linear(x, w, bias, unfused, m, scalar);
        Activations.GeluTanh(unfused, unfused);
        Array.Clear(fused);
        Bf16Gemm.LinearActivation(x, w, bias, fused, m, ActivationKind.GeluTanh, scalar);
        AssertSameBits(unfused, fused, $"GELU (tanh) [{m}, {n}, {k}]");
        Assert.Throws<ArgumentOutOfRangeException>(() => Bf16Gemm.LinearActivation(x, w, bias, fused, m, ActivationKind.Relu, scalar));
    }

    public static TheoryData<int, int, int, bool> GatedShapes => new()
    {
        { 1, 16, 37, true }, { 13, 48, 64, false }, { 70, 16, 33, true }, { 600, 48, 40, true }, { 600, 16, 16, false },
    };

    [Theory]
    [MemberData(nameof(GatedShapes))]
    public void ScalarTwinGateInTheStoreEqualsProductThenGatedActivation(int m, int inter, int k, bool bias) =>
        GateInTheStore(m, inter, k, bias, scalar: true);

    [Theory]
    [MemberData(nameof(GatedShapes))]
    public void TileGateInTheStoreEqualsProductThenGatedActivation(int m, int inter, int k, bool bias)
    {
        if (!Bf16Gemm.IsSupported) return; // (no AVX512-BF16: the scalar twin's theory above covers the store)
        GateInTheStore(m, inter, k, bias, scalar: false);
    }

    private static void GateInTheStore(int m, int inter, int k, bool withBias, bool scalar)
    {
        var rng = new Random(m * 31 + inter * 7 + k);
        var x = Random(rng, m * k, 2f);
        var w = Bf16Matrix.FromSingle(Random(rng, 2 * inter * k, 0.5f), 2 * inter, k); // [gate; up]
        var bias = withBias ? Random(rng, 2 * inter, 1f) : [];
        var gateUp = new float[m * 2 * inter];
        Bf16Gemm.Linear(x, w, bias, gateUp, m, scalar);
        foreach (var f in new[] { GateFunction.Silu, GateFunction.GeluTanh, GateFunction.Gelu })
        {
            var expected = new float[m * inter];
            GatedActivation.Forward(gateUp, expected, m, inter, f);
            var fused = new float[m * inter];
            Bf16Gemm.LinearGated(x, w, bias, fused, m, f, scalar);
            AssertSameBits(expected, fused, $"{f} [{m}, {inter}, {k}]");
        }
        Assert.False(Bf16Gemm.CanGate(Bf16Matrix.FromSingle(new float[40 * k], 40, k))); // halves of 20 rows: not whole panels
    }

    private static void AddLayerNormOnFinishedRows(int m, int n, int k, bool withBias, bool scalar)
    {
        var rng = new Random(m * 7 + n * 3 + k);
        var x = Random(rng, m * k, 2f);
        var w = Bf16Matrix.FromSingle(Random(rng, n * k, 0.3f), n, k);
        var bias = withBias ? Random(rng, n, 1f) : [];
        var residual = Random(rng, m * n, 1f);
        var gamma = Random(rng, n, 1f);
        var beta = Random(rng, n, 0.5f);
        const float eps = 1e-12f;
        var product = new float[m * n];
        Bf16Gemm.Linear(x, w, bias, product, m, scalar);
        var (expected, mean0, rstd0) = (new float[m * n], new float[m], new float[m]);
        LayerNorm.AddDropoutForward(product, residual, gamma, beta, expected, mean0, rstd0, m, n, eps, 0f, 0);
        var (fused, mean, rstd) = (new float[m * n], new float[m], new float[m]);
        Bf16Gemm.LinearAddLayerNorm(x, w, bias, residual, gamma, beta, fused, mean, rstd, m, eps, scalar);
        AssertSameBits(expected, fused, $"LayerNorm [{m}, {n}, {k}]");
        AssertSameBits(mean0, mean, "mean");
        AssertSameBits(rstd0, rstd, "rstd");
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]),
                $"{what}: element {i}: {actual[i]:R}, unfused {expected[i]:R}");
        }
    }
}
