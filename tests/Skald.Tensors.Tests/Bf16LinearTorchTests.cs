using System.Text.Json;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// One bfloat16 Linear against PyTorch (fixtures/quantization/make_bf16_linear.py, torch 1.13): x and W round to the
/// bits of <c>x.bfloat16()</c> exactly, and y is torch's product of the rounded values, within float32's summation
/// bound of the float64 product and of torch's own float32 one; the fused epilogues (GELU in the store, residual add +
/// LayerNorm on the finished rows) are torch's <c>gelu</c> / <c>layer_norm</c> of that float64 product within the
/// bound carried through them.
/// </summary>
public sealed class Bf16LinearTorchTests
{
    private static readonly JsonElement Fixture = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(Skald.Tests.Repository.Root, "fixtures", "quantization", "bf16_linear.json"))).RootElement;

    private static float[] Floats(string key) => [.. Fixture.GetProperty(key).EnumerateArray().Select(e => (float)e.GetDouble())];

    private static double[] Doubles(string key) => [.. Fixture.GetProperty(key).EnumerateArray().Select(e => e.GetDouble())];

    private static ushort[] Bits(string key) => [.. Fixture.GetProperty(key).EnumerateArray().Select(e => (ushort)e.GetInt32())];

    [Fact]
    public void RoundingGivesTorchsBf16Bits()
    {
        foreach (var (values, bits) in new[] { ("x", "x_bf16"), ("w", "w_bf16") })
        {
            var source = Floats(values);
            var rounded = new ushort[source.Length];
            Bf16.FromSingle(source, rounded);
            Assert.Equal(Bits(bits), rounded);
        }
    }

    [Fact]
    public void ScalarTwinLinearIsTorchsBf16Product() => SameAsTorch(scalar: true);

    [Bf16Fact]
    public void TileLinearIsTorchsBf16Product() => SameAsTorch(scalar: false);

    private static void SameAsTorch(bool scalar)
    {
        int m = Fixture.GetProperty("m").GetInt32(), n = Fixture.GetProperty("n").GetInt32(), k = Fixture.GetProperty("k").GetInt32();
        var x = Floats("x");
        var w = Floats("w");
        var b = Floats("b");
        var y = new float[m * n];
        Bf16Gemm.Linear(x, Bf16Matrix.FromSingle(w, n, k), b, y, m, scalar);
        var y64 = Doubles("y64");
        var y32 = Floats("y32");
        var xb = Bits("x_bf16");
        var wb = Bits("w_bf16");
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double magnitude = Math.Abs(b[j]);
            for (int c = 0; c < k; c++) magnitude += Math.Abs((double)Bf16.ToSingle(xb[i * k + c]) * Bf16.ToSingle(wb[j * k + c]));
            double bound = (k + 2) * Math.Pow(2, -24) * magnitude;
            Assert.True(Math.Abs(y[i * n + j] - y64[i * n + j]) <= bound, $"[{i}, {j}]: {y[i * n + j]} vs torch float64 {y64[i * n + j]}");
            Assert.True(Math.Abs(y[i * n + j] - y32[i * n + j]) <= 2 * bound, $"[{i}, {j}]: {y[i * n + j]} vs torch float32 {y32[i * n + j]}");
        }
    }

    [Fact]
    public void ScalarTwinFusedGeluIsTorchsGeluOfTheProduct() => FusedGeluSameAsTorch(scalar: true);

    [Bf16Fact]
    public void TileFusedGeluIsTorchsGeluOfTheProduct() => FusedGeluSameAsTorch(scalar: false);

    [Fact]
    public void ScalarTwinFusedAddLayerNormIsTorchsLayerNorm() => FusedLayerNormSameAsTorch(scalar: true);

    [Bf16Fact]
    public void TileFusedAddLayerNormIsTorchsLayerNorm() => FusedLayerNormSameAsTorch(scalar: false);

    // Per element, float32's summation bound of the bfloat16 product (as SameAsTorch).
    private static double[] Bounds(int m, int n, int k)
    {
        var b = Floats("b");
        var xb = Bits("x_bf16");
        var wb = Bits("w_bf16");
        var bounds = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double magnitude = Math.Abs(b[j]);
            for (int c = 0; c < k; c++) magnitude += Math.Abs((double)Bf16.ToSingle(xb[i * k + c]) * Bf16.ToSingle(wb[j * k + c]));
            bounds[i * n + j] = (k + 2) * Math.Pow(2, -24) * magnitude;
        }
        return bounds;
    }

    // GELU's slope is at most 1.13, so the product's bound carries over scaled by it; the float erf adds at most 6e-8
    // (VectorMath's fit) times |y|/2 and the float arithmetic a few units in the last place.
    private static void FusedGeluSameAsTorch(bool scalar)
    {
        int m = Fixture.GetProperty("m").GetInt32(), n = Fixture.GetProperty("n").GetInt32(), k = Fixture.GetProperty("k").GetInt32();
        var y = new float[m * n];
        Bf16Gemm.LinearActivation(Floats("x"), Bf16Matrix.FromSingle(Floats("w"), n, k), Floats("b"), y, m,
            Skald.Tensors.Autograd.ActivationKind.Gelu, scalar);
        var gelu = Doubles("gelu64");
        var y64 = Doubles("y64");
        var bounds = Bounds(m, n, k);
        for (int i = 0; i < y.Length; i++)
        {
            double bound = 1.13 * bounds[i] + 6e-8 * Math.Abs(y64[i]) + 4 * Math.Pow(2, -24) * (Math.Abs(gelu[i]) + Math.Abs(y64[i]));
            Assert.True(Math.Abs(y[i] - gelu[i]) <= bound, $"[{i / n}, {i % n}]: {y[i]} vs torch gelu {gelu[i]} (bound {bound})");
        }
    }

    // LayerNorm of (product + residual): the product's error moves a normalised value by at most rstd·|gamma| times
    // twice the row's largest bound (its own and the mean's), plus float32 rounding of the normalisation.
    private static void FusedLayerNormSameAsTorch(bool scalar)
    {
        int m = Fixture.GetProperty("m").GetInt32(), n = Fixture.GetProperty("n").GetInt32(), k = Fixture.GetProperty("k").GetInt32();
        var y = new float[m * n];
        var (mean, rstd) = (new float[m], new float[m]);
        var gamma = Floats("gamma");
        Bf16Gemm.LinearAddLayerNorm(Floats("x"), Bf16Matrix.FromSingle(Floats("w"), n, k), Floats("b"), Floats("residual"), gamma,
            Floats("beta"), y, mean, rstd, m, (float)Fixture.GetProperty("eps").GetDouble(), scalar);
        var ln = Doubles("ln64");
        var bounds = Bounds(m, n, k);
        for (int i = 0; i < m; i++)
        {
            double rowBound = Enumerable.Range(0, n).Max(j => bounds[i * n + j]);
            for (int j = 0; j < n; j++)
            {
                double bound = 2 * rowBound * rstd[i] * Math.Abs(gamma[j]) + 1e-6 * (1 + Math.Abs(ln[i * n + j]));
                Assert.True(Math.Abs(y[i * n + j] - ln[i * n + j]) <= bound, $"[{i}, {j}]: {y[i * n + j]} vs torch layer_norm {ln[i * n + j]} (bound {bound})");
            }
        }
    }
}
