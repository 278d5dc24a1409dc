using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The bfloat16 GEMM (<see cref="Bf16Gemm"/>): against a float64 product of the bfloat16-rounded inputs on odd shapes
/// (m, n, k not multiples of the tile, k odd), at 1 and 2 threads, by panels and by row blocks; the assembled tile's
/// GEMM gives the scalar twin's bits; the activations' vector rounding gives the scalar rounding's bits.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class Bf16DotGemmTests
{
    private static float[] Random(Random rng, int count, double scale = 1)
    {
        var v = new float[count];
        for (int i = 0; i < v.Length; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    // y[i, j] = Σ_k bf16(x[i, k]) · bf16(w[j, k]) + b[j] in float64, and Σ_k |…| for the bound.
    private static (double[] Y, double[] Magnitude) Reference(float[] x, float[] w, float[] b, int m, int n, int k)
    {
        var y = new double[m * n];
        var mag = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0, a = 0;
            for (int c = 0; c < k; c++)
            {
                double p = (double)Bf16.ToSingle(Bf16.FromSingle(x[i * k + c])) * Bf16.ToSingle(Bf16.FromSingle(w[j * k + c]));
                s += p;
                a += Math.Abs(p);
            }
            y[i * n + j] = s + (b.Length > 0 ? b[j] : 0);
            mag[i * n + j] = a + (b.Length > 0 ? Math.Abs(b[j]) : 0);
        }
        return (y, mag);
    }

    private static void Run(int m, int n, int k, bool bias, int threads, bool scalar)
    {
        var rng = new Random(m * 7919 + n * 31 + k);
        var x = Random(rng, m * k, 3);
        var w = Random(rng, n * k, 0.2);
        var b = bias ? Random(rng, n) : [];
        var matrix = Bf16Matrix.FromSingle(w, n, k);
        var y = new float[m * n];
        int saved = Parallelism.MaxThreads;
        try
        {
            Parallelism.MaxThreads = threads;
            Bf16Gemm.Linear(x, matrix, b, y, m, scalar);
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
        var (expected, magnitude) = Reference(x, w, b, m, n, k);
        for (int i = 0; i < m * n; i++)
        {
            // float32 summation of k + 1 terms: |error| ≤ (k + 1)·2^-24·Σ|terms| (plus one rounding of the result).
            double bound = (k + 2) * Math.Pow(2, -24) * magnitude[i];
            Assert.True(Math.Abs(y[i] - expected[i]) <= bound,
                $"[{m}, {k}]·[{n}, {k}]ᵀ, {threads} thread(s), row {i / n}, column {i % n}: {y[i]} vs {expected[i]} (bound {bound:g3})");
        }
    }

    public static TheoryData<int, int, int, bool> Shapes() => new()
    {
        { 1, 1, 1, false }, { 3, 17, 5, true }, { 9, 33, 31, true }, { 13, 50, 67, false }, { 70, 47, 129, true },
        { 520, 19, 9, true }, { 33, 40, 96, true }, { 70, 47, 128, false }, // (K of whole 32s: the AMX tile's, where it runs)
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ScalarTwinGemmMatchesTheFloat64ProductOfTheRoundedInputs(int m, int n, int k, bool bias)
    {
        Run(m, n, k, bias, 1, scalar: true);
        Run(m, n, k, bias, 2, scalar: true);
    }

    [Bf16Fact]
    public void TileGemmMatchesTheFloat64ProductOfTheRoundedInputsAtOddShapes()
    {
        foreach (var row in Shapes())
        {
            var (m, n, k, bias) = ((int)row[0], (int)row[1], (int)row[2], (bool)row[3]);
            Run(m, n, k, bias, 1, scalar: false);
            Run(m, n, k, bias, 2, scalar: false);
        }
    }

    // The assembled tile's GEMM gives the scalar twin's bits, by panels (few rows) and by row blocks (520 rows, 2 threads).
    [Bf16Fact]
    public void TileGemmGivesTheScalarTwinsBits()
    {
        var rng = new Random(3);
        foreach (var (m, n, k) in new[] { (5, 40, 77), (520, 35, 48) })
        {
            var x = Random(rng, m * k, 2);
            var matrix = Bf16Matrix.FromSingle(Random(rng, n * k), n, k);
            var b = Random(rng, n);
            float[] fast = new float[m * n], twin = new float[m * n];
            int saved = Parallelism.MaxThreads;
            try
            {
                Parallelism.MaxThreads = 2;
                Bf16Gemm.Linear(x, matrix, b, fast, m);
                Bf16Gemm.Linear(x, matrix, b, twin, m, scalar: true);
            }
            finally
            {
                Parallelism.MaxThreads = saved;
            }
            Assert.Equal(twin, fast);
        }
    }

    [Fact]
    public void VectorRoundingToBf16GivesTheScalarBits()
    {
        var rng = new Random(11);
        var x = Random(rng, 1000, 100);
        // ties (to even both ways), the largest finite values, infinities, NaNs (kept NaN: quiet bit set) and denormals
        float[] special = [BitConverter.Int32BitsToSingle(0x3F808000), BitConverter.Int32BitsToSingle(0x3F818000), float.MaxValue,
            -float.MaxValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN, 1e-40f, -1e-42f, 0f, -0f];
        special.CopyTo(x, 0);
        special.CopyTo(x, 500);
        // NaNs that would truncate to ∞ or round past it, written as bits (a float constant may reach the array quieted)
        var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(x.AsSpan());
        bits[12] = bits[512] = 0x7F80_0001;
        bits[13] = bits[513] = 0xFFFF_FFFF;
        foreach (int length in new[] { 1000, 999, 37, 15 })
        {
            ushort[] fast = new ushort[length], twin = new ushort[length];
            Bf16.FromSingle(x.AsSpan(0, length), fast);
            Bf16.FromSingleReference(x.AsSpan(0, length), twin);
            Assert.Equal(twin, fast);
        }
    }

    [Fact]
    public void PackingKeepsEveryRowsBitsAndBf16WeightsAreTakenAsTheyAre()
    {
        var rng = new Random(8);
        int n = 21, k = 13;
        var w = Random(rng, n * k);
        var bits = new ushort[n * k];
        Bf16.FromSingleReference(w, bits);
        var fromSingle = Bf16Matrix.FromSingle(w, n, k);
        var fromBits = Bf16Matrix.FromBits(bits, n, k);
        var row = new ushort[k];
        for (int j = 0; j < n; j++)
        {
            fromSingle.CopyRow(j, row);
            Assert.Equal(bits.AsSpan(j * k, k).ToArray(), row);
            fromBits.CopyRow(j, row);
            Assert.Equal(bits.AsSpan(j * k, k).ToArray(), row);
        }
        Assert.Equal(fromSingle.Packed, fromBits.Packed); // padding zero in both
    }
}
