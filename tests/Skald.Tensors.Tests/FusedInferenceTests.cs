using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// Inference fusions: the activation applied in the GEMM's store (<see cref="LinearActivation"/>, only after the last K
/// slice, edge tiles included) against the two passes and the scalar twin; <see cref="Ops.LinearActivation"/> and BERT
/// attention on a tape that does not record (no [B, H, T, T] probabilities kept) against the recording path.
/// </summary>
[Collection(ProcessSettingsCollection.Name)]
public sealed class FusedInferenceTests
{
    [Theory]
    [InlineData(1, 7, 5, ActivationKind.Gelu, true)]
    [InlineData(33, 100, 50, ActivationKind.Gelu, false)]
    [InlineData(70, 2100, 130, ActivationKind.Gelu, true)]      // 3 KC slices (1024 deep; 9 at 256): the epilogue runs once, at the end
    [InlineData(130, 384, 1536, ActivationKind.Gelu, true)]     // BERT's intermediate at hidden 384
    [InlineData(29, 520, 77, ActivationKind.GeluTanh, true)]
    public void FusedActivationEqualsTwoPassesAndTheScalarTwin(int n, int inF, int outF, ActivationKind kind, bool withBias)
    {
        var rng = new Random(n + inF + outF);
        var x = TestUtil.RandomArray(rng, n * inF);
        var w = TestUtil.RandomArray(rng, outF * inF, 0.1f);
        var b = withBias ? TestUtil.RandomArray(rng, outF) : [];
        var saved = Blas.Backend;
        try
        {
            var managed = new ManagedGemm();
            Blas.Backend = managed;
            var packed = managed.Pack(true, inF, outF, w, inF);
            var fused = new float[n * outF];
            LinearActivation.Forward(x, w, packed, b, fused, n, inF, outF, kind);
            var twoPasses = new float[n * outF];
            Linear.Forward(x, w, packed, b, twoPasses, n, inF, outF);
            if (kind == ActivationKind.Gelu) Activations.Gelu(twoPasses, twoPasses);
            else Activations.GeluTanh(twoPasses, twoPasses);
            TestUtil.AssertClose(twoPasses, fused, 1e-6, 1e-7, "fused vs two passes");
            var reference = new float[n * outF];
            LinearActivation.ForwardReference(x, w, b, reference, n, inF, outF, kind);
            TestUtil.AssertCloseScaled(reference, fused, 1e-5, "fused vs scalar twin");
        }
        finally
        {
            Blas.Backend = saved;
        }
    }

    [Fact]
    public void OpsLinearActivationMatchesTheRecordingPathAndItsGradient()
    {
        using var fmaOnly = new FmaKernelsOnly(); // the FMA kernels' claim (on AMX hosts the packed Linear runs six bfloat16 terms)
        var rng = new Random(5);
        int n = 19, inF = 40, outF = 56;
        var w = new Parameter("w", TestUtil.RandomArray(rng, outF * inF, 0.2f), [outF, inF], true);
        var bias = new Parameter("b", TestUtil.RandomArray(rng, outF), [outF], false);
        var xs = TestUtil.RandomArray(rng, n * inF);
        var infer = new Tape(recording: false) { PackWeights = true };
        var fused = Ops.LinearActivation(infer, infer.Constant(xs, n, inF), w, bias, ActivationKind.Gelu).Span.ToArray();
        var train = new Tape();
        var x = train.Constant(xs, n, inF, requiresGrad: true);
        var y = Ops.LinearActivation(train, x, w, bias, ActivationKind.Gelu);
        TestUtil.AssertClose(y.Span, fused, 1e-6, 1e-7, "inference vs recording");
        // The recording path is Linear then Activation: the same gradient as composing them by hand.
        var ones = new float[n * outF];
        Array.Fill(ones, 1f);
        train.Seed(y, ones);
        train.Backward();
        var dx = x.Grad.ToArray();
        var dw = w.Grad.ToArray();
        w.Grad.Span.Clear();
        bias.Grad.Span.Clear();
        var train2 = new Tape();
        var x2 = train2.Constant(xs, n, inF, requiresGrad: true);
        var y2 = Ops.Activation(train2, Ops.Linear(train2, x2, w, bias), ActivationKind.Gelu);
        train2.Seed(y2, ones);
        train2.Backward();
        Assert.True(dx.AsSpan().SequenceEqual(x2.Grad));
        Assert.True(dw.AsSpan().SequenceEqual(w.Grad.Span));
    }

    [Theory]
    [InlineData(2, 5, 2, 4)]
    [InlineData(3, 70, 4, 16)] // more than one block of query rows
    public void AttentionWithoutKeptProbabilitiesEqualsTheRecordingPath(int batch, int seq, int heads, int d)
    {
        var rng = new Random(batch * 100 + seq);
        int c = heads * d, n = batch * seq;
        var qkvValues = TestUtil.RandomArray(rng, n * 3 * c);
        var mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = i % seq >= seq - 2 && i / seq == 0 ? float.MinValue : 0f; // padded keys
        var infer = new Tape(recording: false);
        var ctxInfer = Ops.Attention(infer, infer.Constant(qkvValues, n, 3 * c), mask, batch, seq, heads, 0f);
        var train = new Tape();
        var ctxTrain = Ops.Attention(train, train.Constant(qkvValues, n, 3 * c, requiresGrad: true), mask, batch, seq, heads, 0f);
        TestUtil.AssertClose(ctxTrain.Span, ctxInfer.Span, 1e-5, 1e-6, "blocked vs dense attention");
        var reference = new float[n * c];
        var probs = new float[batch * heads * seq * seq];
        Attention.ForwardReference(qkvValues, qkvValues.AsSpan(c), qkvValues.AsSpan(2 * c), 3 * c, mask, reference, probs,
            batch, seq, heads, d, 1f / MathF.Sqrt(d));
        TestUtil.AssertCloseScaled(reference, ctxInfer.Span, 1e-5, "blocked vs scalar twin");
    }
}
