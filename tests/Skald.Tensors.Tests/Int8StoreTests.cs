using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The int8 Linear's dequantising store against the integers written out here: with the activation codes, scales and
/// zero points of <see cref="Int8Activations.Quantize"/> and the weight codes of <see cref="Int8Matrix.CopyRow"/>,
/// y[i, j] = float(Σ_k q[i, k] · w[j, k] − zero[i] · Σ_k w[j, k]) · (scale[i] · wscale[j]) + b[j], the bytes every
/// kernel gives while the sums stay below 2^24 (depth up to 518 at 8-bit codes), and within one rounding of the sum
/// beyond it.
/// </summary>
public sealed class Int8StoreTests
{
    [Theory]
    [InlineData(37)]
    [InlineData(384)]
    [InlineData(1536)]
    public void TheStoreDequantisesTheExactIntegerSums(int k)
    {
        int m = 11, n = 40;
        var rng = new Random(k);
        var x = new float[m * k];
        var w = new float[n * k];
        var bias = new float[n];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 1); // skewed: zero points vary by row
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 0.4 - 0.2);
        for (int i = 0; i < n; i++) bias[i] = (float)(rng.NextDouble() - 0.5);
        foreach (var kernel in new Int8Kernel?[] { Int8Kernel.Scalar, Int8Gemm.Best })
        {
            if (kernel is null) continue;
            int levels = Int8Gemm.ActivationLevels(kernel.Value);
            var q = Int8Matrix.Quantize(w, n, k, Int8Gemm.WeightLevels(kernel.Value));
            var (codes, scales, zeros) = (new byte[m * k], new float[m], new int[m]);
            Int8Activations.Quantize(x, m, k, levels, codes, k, scales, zeros);
            var y = new float[m * n];
            Int8Gemm.Linear(x, q, bias, y, m, kernel, levels);
            var row = new sbyte[k];
            for (int j = 0; j < n; j++)
            {
                q.CopyRow(j, row);
                long rowSum = row.Sum(v => (long)v);
                for (int i = 0; i < m; i++)
                {
                    long dot = 0;
                    for (int c = 0; c < k; c++) dot += codes[i * k + c] * (long)row[c];
                    float scale = scales[i] * q.Scales[j];
                    float expected = (float)(dot - zeros[i] * rowSum) * scale + bias[j];
                    if (k <= 518)
                        Assert.True(expected == y[i * n + j], $"{kernel}, k {k}: y[{i}, {j}] = {y[i * n + j]}, the integers give {expected}");
                    else
                        Assert.InRange(y[i * n + j] - expected, -(Math.Abs(dot) * 1.2e-7f * scale + 1e-6f), Math.Abs(dot) * 1.2e-7f * scale + 1e-6f);
                }
            }
        }
    }
}
