using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// The fused output projection, y = LayerNorm(x·Wᵀ + b + residual) in one pass (<see cref="LinearAddLayerNorm"/>: bias
/// placed per tile, rows finished per row block), against the unfused passes bit for bit, the scalar twin, and
/// <see cref="Ops.LinearAddLayerNorm"/> against the recording path; also the bias-in-tile pre-packed GEMM against
/// copying the bias into C first.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class LinearAddLayerNormTests
{
    [Theory]
    [InlineData(1, 7, 5, true, 1)]
    [InlineData(33, 100, 50, false, 2)]
    [InlineData(70, 600, 130, true, 2)]      // 3 KC slices, edge rows and columns
    [InlineData(300, 1536, 384, true, 2)]    // BERT's output.dense at hidden 384, several MC row blocks per thread
    [InlineData(300, 384, 384, true, 1)]     // attention.output.dense, one thread
    public void FusedEqualsThePassesAndTheScalarTwin(int n, int inF, int outF, bool withBias, int threads)
    {
        using var fmaOnly = new FmaKernelsOnly(); // the FMA kernels' claim (on AMX hosts the packed Linear runs six bfloat16 terms)
        var rng = new Random(n * 7 + inF + outF);
        var x = TestUtil.RandomArray(rng, n * inF);
        var w = TestUtil.RandomArray(rng, outF * inF, 0.1f);
        var b = withBias ? TestUtil.RandomArray(rng, outF) : [];
        var residual = TestUtil.RandomArray(rng, n * outF, 2f);
        var gamma = TestUtil.RandomArray(rng, outF);
        var beta = TestUtil.RandomArray(rng, outF);
        var saved = Blas.Backend;
        try
        {
            var managed = new ManagedGemm { MaxThreads = threads };
            Blas.Backend = managed;
            var packed = managed.Pack(true, inF, outF, w, inF);
            var fused = new float[n * outF];
            var (mean, rstd) = (new float[n], new float[n]);
            LinearAddLayerNorm.Forward(x, w, packed, b, residual, gamma, beta, fused, mean, rstd, n, inF, outF, 1e-12f);
            // The passes: unpacked GEMM over C holding the bias, vector add, LayerNorm.
            var s = new float[n * outF];
            Linear.Forward(x, w, b, s, n, inF, outF);
            System.Numerics.Tensors.TensorPrimitives.Add(s, residual, s);
            var passes = new float[n * outF];
            var (mean2, rstd2) = (new float[n], new float[n]);
            LayerNorm.Forward(s, gamma, beta, passes, mean2, rstd2, n, outF, 1e-12f);
            Assert.True(passes.AsSpan().SequenceEqual(fused), "fused differs from the passes");
            Assert.True(mean2.AsSpan().SequenceEqual(mean) && rstd2.AsSpan().SequenceEqual(rstd), "mean/rstd differ");
            var reference = new float[n * outF];
            LinearAddLayerNorm.ForwardReference(x, w, b, residual, gamma, beta, reference, new float[n], new float[n],
                n, inF, outF, 1e-12f);
            TestUtil.AssertCloseScaled(reference, fused, 1e-4, "fused vs scalar twin");
        }
        finally
        {
            Blas.Backend = saved;
        }
    }

    [Theory]
    [InlineData(1, 33, 70)]
    [InlineData(50, 300, 97)]
    [InlineData(200, 257, 1152)]
    public unsafe void BiasInTheTileEqualsBiasCopiedIntoC(int n, int inF, int outF)
    {
        using var fmaOnly = new FmaKernelsOnly(); // the FMA kernels' claim (on AMX hosts the packed Linear runs six bfloat16 terms)
        var rng = new Random(n + inF * 3 + outF);
        var x = TestUtil.RandomArray(rng, n * inF);
        var w = TestUtil.RandomArray(rng, outF * inF, 0.1f);
        var b = TestUtil.RandomArray(rng, outF);
        var managed = new ManagedGemm();
        var packed = managed.Pack(true, inF, outF, w, inF);
        var fused = new float[n * outF];
        managed.SgemmPackedFused(n, x, inF, packed, b, fused, outF, null, null, null);
        var copied = new float[n * outF];
        for (int i = 0; i < n; i++) b.CopyTo(copied, i * outF);
        managed.Sgemm(false, true, n, outF, inF, 1f, x, inF, w, inF, 1f, copied, outF);
        Assert.True(copied.AsSpan().SequenceEqual(fused));
        var reference = new float[n * outF];
        for (int i = 0; i < n; i++) b.CopyTo(reference, i * outF);
        new ReferenceGemm().Sgemm(false, true, n, outF, inF, 1f, x, inF, w, inF, 1f, reference, outF);
        TestUtil.AssertCloseScaled(reference, fused, 1e-5, "vs reference GEMM");
    }

    [Fact]
    public void OpsLinearAddLayerNormMatchesTheRecordingPath()
    {
        using var fmaOnly = new FmaKernelsOnly(); // the FMA kernels' claim (on AMX hosts the packed Linear runs six bfloat16 terms)
        var rng = new Random(11);
        int n = 37, inF = 64, outF = 48;
        var w = new Parameter("w", TestUtil.RandomArray(rng, outF * inF, 0.2f), [outF, inF], true);
        var bias = new Parameter("b", TestUtil.RandomArray(rng, outF), [outF], true);
        var gamma = new Parameter("g", TestUtil.RandomArray(rng, outF), [outF], true);
        var beta = new Parameter("be", TestUtil.RandomArray(rng, outF), [outF], true);
        var xs = TestUtil.RandomArray(rng, n * inF);
        var rs = TestUtil.RandomArray(rng, n * outF);
        var saved = Blas.Backend;
        try
        {
            Blas.Backend = new ManagedGemm(); // the fused path needs the managed backend
            var infer = new Tape(recording: false) { PackWeights = true };
            var fused = Ops.LinearAddLayerNorm(infer, infer.Constant(xs, n, inF), w, bias, infer.Constant(rs, n, outF),
                gamma, beta, 1e-12f, 0f).Span.ToArray();
            var train = new Tape();
            var y = Ops.LinearAddLayerNorm(train, train.Constant(xs, n, inF, requiresGrad: true), w, bias,
                train.Constant(rs, n, outF, requiresGrad: true), gamma, beta, 1e-12f, 0f);
            Assert.True(y.Span.SequenceEqual(fused));
        }
        finally
        {
            Blas.Backend = saved;
        }
    }
}
