using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;
using Skald.Tensors.Quantization;

namespace Skald.Tensors.Tests;

/// <summary>
/// The float32 product from six bfloat16 terms (<see cref="SixTermGemm"/>): the AMX tile bit for bit its scalar twin's
/// over ragged shapes and k blocks, the result against float64 inside the FMA kernels' envelope (through the twin, so on
/// every host), the split's vector and scalar forms alike and exact, and the packed Linear routed to it: a row's bits
/// independent of its batch, the fused GELU and add + LayerNorm the unfused ops on its sums.
/// </summary>
public sealed class SixTermGemmTests
{
    // (m, n, k): one row, ragged everything, several k blocks (k > 768) with ragged rows and columns, whole tiles.
    internal static readonly (int M, int N, int K)[] Shapes =
        [(1, 5, 7), (33, 70, 100), (31, 33, 31), (70, 300, 1600), (64, 96, 800), (128, 288, 64)];

    private static float[] Normal(Random rng, int count, double scale)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
            v[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return v;
    }

    // x [m, k] with 2% of its channels 8× larger (as BERT's activations), W N(0, 0.03²) [n, k], bias [n].
    internal static (float[] X, float[] W, float[] Bias) Inputs(int m, int n, int k, int seed)
    {
        var rng = new Random(seed);
        var x = Normal(rng, m * k, 1);
        for (int t = 0; t < k; t += 50)
        for (int i = 0; i < m; i++) x[i * k + t] *= 8;
        return (x, Normal(rng, n * k, 0.03), Normal(rng, n, 0.1));
    }

    /// <summary>y = x·Wᵀ + bias on the six-term path (its three terms for a bfloat16 W), through the twins when <paramref name="scalar"/>.</summary>
    internal static float[] Run(float[] x, SixTermMatrix w, float[] bias, int m, bool scalar)
    {
        var y = new float[m * w.N];
        bool was = SixTermGemm.ScalarTwin;
        SixTermGemm.ScalarTwin = scalar;
        try
        {
            unsafe { SixTermGemm.Run(m, x, w.K, w, bias, y, w.N, null, null, null); }
        }
        finally
        {
            SixTermGemm.ScalarTwin = was;
        }
        return y;
    }

    [AmxBf16Fact]
    public void AmxTilesEqualTheScalarTwinOnRaggedShapes()
    {
        foreach (var (m, n, k) in Shapes)
        {
            var (x, w, bias) = Inputs(m, n, k, m + n + k);
            var pieces = SixTermMatrix.FromRows(w, n, k);
            foreach (var b in new[] { bias, [] })
            {
                var amx = Run(x, pieces, b, m, scalar: false);
                var twin = Run(x, pieces, b, m, scalar: true);
                for (int i = 0; i < amx.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(amx[i]) == BitConverter.SingleToInt32Bits(twin[i]),
                        $"{m}×{n}×{k}: row {i / n}, column {i % n}: {amx[i]:R} against the twin's {twin[i]:R}");
            }
        }
    }

    // Error in u = 2^-24 of Σ|x·w| + |b| against float64. bench/amx --bf16-accuracy measured six terms at max 1.7–2.8 u,
    // mean 0.19–0.20 u, and Skald's FMA GEMM at max 2.0–4.0 u, mean 0.27–0.45 u: the max bound is the FMA kernel's, and
    // over all shapes the mean must not exceed the FMA GEMM's own on the same inputs.
    [Fact]
    public unsafe void TheProductIsWithinTheFmaKernelsEnvelopeOfFloat64()
    {
        double sixSum = 0, fmaSum = 0;
        long count = 0;
        foreach (var (m, n, k) in Shapes)
        {
            var (x, w, bias) = Inputs(m, n, k, 7 * m + n + k);
            var y = Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar: !SixTermTileAmx.IsSupported);
            var managed = new ManagedGemm();
            var fma = new float[m * n];
            int was = SixTermGemm.Override;
            SixTermGemm.Override = -1;
            try
            {
                managed.SgemmPackedFused(m, x, k, managed.Pack(true, k, n, w, k), bias, fma, n, null, null, null);
            }
            finally
            {
                SixTermGemm.Override = was;
            }
            double max = 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                var (s, a) = Float64(x, w, bias, i, j, k);
                double u = a * Math.Pow(2, -24), e = Math.Abs(y[i * n + j] - s) / u;
                max = Math.Max(max, e);
                sixSum += e;
                fmaSum += Math.Abs(fma[i * n + j] - s) / u;
                count++;
            }
            Assert.True(max <= 4.0, $"{m}×{n}×{k}: max error {max:F2} u");
        }
        Assert.True(sixSum <= fmaSum, $"mean error {sixSum / count:F3} u, the FMA GEMM's {fmaSum / count:F3} u");
    }

    /// <summary>Output (i, j) of x·Wᵀ + bias in float64, and Σ|x·w| + |b| (the scale of its rounding error).</summary>
    internal static (double Sum, double Abs) Float64(float[] x, float[] w, float[] bias, int i, int j, int k)
    {
        double s = bias[j], a = Math.Abs(bias[j]);
        for (int t = 0; t < k; t++)
        {
            double p = (double)x[i * k + t] * w[j * k + t];
            s += p;
            a += Math.Abs(p);
        }
        return (s, a);
    }

    [Fact]
    public unsafe void TheVectorSplitIsTheScalarSplitAndThePiecesSumToTheValue()
    {
        const int k = 77;
        var rng = new Random(5);
        var x = new float[32 * k];
        for (int i = 0; i < x.Length; i++)
            x[i] = BitConverter.Int32BitsToSingle(rng.Next(2) << 31 | (rng.Next(1, 254) << 23) | rng.Next(1 << 23));
        x[3] = float.PositiveInfinity;
        x[4] = float.NegativeInfinity;
        x[5] = float.NaN;
        x[6] = float.MaxValue;
        x[7] = 1e-40f;
        x[8] = -0f;
        var vector = new ushort[SixTermLayout.Chunks(k) * SixTermLayout.StepValues];
        var scalar = new ushort[vector.Length];
        fixed (float* px = x)
        fixed (ushort* pv = vector, ps = scalar)
        {
            SixTermLayout.SplitRows(px, k, 30, k, pv, vector: true);
            SixTermLayout.SplitRows(px, k, 30, k, ps, vector: false);
        }
        Assert.Equal(scalar, vector);
        for (int r = 0; r < 32; r++)
        for (int t = 0; t < SixTermLayout.Chunks(k) * 32; t++)
        {
            double sum = 0;
            for (int s = 0; s < 3; s++) sum += Bf16.ToSingle(scalar[SixTermLayout.XIndex(r, t, s)]);
            float v = r < 30 && t < k ? x[r * k + t] : 0f;
            if (float.IsNaN(v)) Assert.True(double.IsNaN(sum));
            else if (Math.Abs(v) >= 1e-30f || v == 0 || float.IsInfinity(v)) Assert.True(sum == v, $"row {r}, k {t}: {v:R} split into pieces summing to {sum:R}");
        }
    }

    // A long row's outputs alone and among 40 others, or among 4,200 (132 row blocks: the threads split rows, each
    // holding the pieces of its own blocks, RowPiecesBlocks at a time, in chunks of 16 or more blocks, so more than once
    // a chunk): the same bits (the FMA GEMM's few-row paths would not be asked).
    [Theory]
    [InlineData(41)]
    [InlineData(4200)]
    public void ARowsSumsDoNotDependOnItsBatch(int m)
    {
        const int n = 80, k = 100;
        var (x, w, bias) = Inputs(m, n, k, 3);
        var managed = new ManagedGemm();
        var packed = managed.Pack(true, k, n, w, k);
        var all = Linear(managed, x, packed, bias, m, n, k);
        for (int i = 0; i < m; i += m < 100 ? 13 : 97)
        {
            var one = Linear(managed, x.AsSpan(i * k, k).ToArray(), packed, bias, 1, n, k);
            Assert.Equal(all.AsSpan(i * n, n).ToArray(), one);
        }
    }

    /// <summary>
    /// The packed Linear with the six-term product on (through the twin where AMX does not run); <paramref name="chunk"/>
    /// &gt; 0: this thread's row-split regions in chunks of at least that many blocks (<see cref="SixTermGemm.ChunkOverride"/>).
    /// </summary>
    internal static float[] Linear(ManagedGemm managed, float[] x, PackedMatrix packed, float[] bias, int m, int n, int k, int chunk = 0)
    {
        var y = new float[m * n];
        int was = SixTermGemm.Override, wasChunk = SixTermGemm.ChunkOverride;
        bool twin = SixTermGemm.ScalarTwin;
        SixTermGemm.Override = 1;
        SixTermGemm.ScalarTwin = !SixTermTileAmx.IsSupported;
        SixTermGemm.ChunkOverride = chunk;
        try
        {
            unsafe { managed.SgemmPackedFused(m, x, k, packed, bias, y, n, null, null, null); }
        }
        finally
        {
            SixTermGemm.Override = was;
            SixTermGemm.ScalarTwin = twin;
            SixTermGemm.ChunkOverride = wasChunk;
        }
        return y;
    }

    [Fact]
    public unsafe void ThePackedLinearRunsOnTheSixTermsAndItsFusedEpiloguesOnTheirSums()
    {
        const int n = 96, k = 64, m = 70;
        var (x, w, bias) = Inputs(m, n, k, 11);
        var managed = new ManagedGemm();
        var packed = managed.Pack(true, k, n, w, k);
        var y = Linear(managed, x, packed, bias, m, n, k);
        var six = Run(x, SixTermMatrix.FromRows(w, n, k), bias, m, scalar: !SixTermTileAmx.IsSupported);
        Assert.Equal(six, y);
        var fma = new float[m * n];
        using (new FmaKernelsOnly()) managed.SgemmPackedFused(m, x, k, packed, bias, fma, n, null, null, null);
        Assert.NotEqual(fma, y); // SixTermGemm.Override −1 puts the product back on the FMA kernels

        var residual = Normal(new Random(2), m * n, 1);
        var gamma = Normal(new Random(4), n, 1);
        var beta = Normal(new Random(6), n, 1);
        float[] gelu = new float[m * n], norm = new float[m * n], mean = new float[m], rstd = new float[m];
        float[] expectNorm = new float[m * n], expectMean = new float[m], expectRstd = new float[m];
        int was = SixTermGemm.Override;
        bool twin = SixTermGemm.ScalarTwin;
        SixTermGemm.Override = 1;
        SixTermGemm.ScalarTwin = !SixTermTileAmx.IsSupported;
        try
        {
            LinearActivation.Forward(x, w, packed, bias, gelu, m, k, n, Skald.Tensors.Autograd.ActivationKind.Gelu);
            LinearAddLayerNorm.Forward(x, w, packed, bias, residual, gamma, beta, norm, mean, rstd, m, k, n, 1e-12f);
        }
        finally
        {
            SixTermGemm.Override = was;
            SixTermGemm.ScalarTwin = twin;
        }
        var expectGelu = six.ToArray();
        Activations.Gelu(expectGelu, expectGelu);
        Assert.Equal(expectGelu, gelu);
        var sums = six.ToArray();
        System.Numerics.Tensors.TensorPrimitives.Add(sums, residual, sums);
        LayerNorm.Forward(sums, gamma, beta, expectNorm, expectMean, expectRstd, m, n, 1e-12f);
        Assert.Equal(expectNorm, norm);
        Assert.Equal(expectMean, mean);
    }
}
