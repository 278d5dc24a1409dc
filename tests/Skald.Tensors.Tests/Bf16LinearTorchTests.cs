using System.Text.Json;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// One bfloat16 Linear against PyTorch (fixtures/quantization/make_bf16_linear.py, torch 1.13): x and W round to the
/// bits of <c>x.bfloat16()</c> exactly, and y is torch's product of the rounded values, within float32's summation
/// bound of the float64 product and of torch's own float32 one.
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
}
