using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Finite-difference checks of what ModernBERT added: LayerNorm without bias (norm_bias false) and Ops.Columns (the
/// fused Wqkv output split into q, k, v), also when a variable's columns feed several consumers.
/// </summary>
public sealed class ModernBertOpsGradientTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LayerNormalizationWithAndWithoutBias(bool bias)
    {
        var gamma = Param("norm.weight", 21, 0.3f, 6);
        for (int i = 0; i < 6; i++) gamma.Data.Span[i] += 1f;
        var beta = bias ? Param("norm.bias", 22, 0.3f, 6) : null;
        Parameter[] ps = beta is null ? [gamma] : [gamma, beta];
        Check((t, v) => Ops.LayerNormalization(t, v[0], gamma, beta, 1e-5f), [new Input(Random(24, 23), 4, 6)], ps, eps: 1e-3);
    }

    [Fact]
    public void LayerNormalizationWithoutBiasIsTheBiasedOneWithZeroBias()
    {
        var x = Random(3 * 8, 24);
        var gamma = Random(8, 25);
        float[] y0 = new float[24], y1 = new float[24], m = new float[3], r = new float[3];
        LayerNorm.Forward(x, gamma, new float[8], y0, m, r, 3, 8, 1e-5f);
        LayerNorm.Forward(x, gamma, default, y1, m, r, 3, 8, 1e-5f);
        Assert.Equal(y0, y1);
        LayerNorm.ForwardReference(x, gamma, default, y1, m, r, 3, 8, 1e-5f);
        for (int i = 0; i < 24; i++) Assert.True(MathF.Abs(y0[i] - y1[i]) <= 1e-6f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LayerNormalizationParameterGradientsDoNotNeedAnInputGradient(bool bias)
    {
        // A LayerNorm over a constant (ModernBERT's embedding norm over a frozen table) still trains its weight and bias.
        var gamma = Param("norm.weight", 31, 0.3f, 6);
        var beta = bias ? Param("norm.bias", 32, 0.3f, 6) : null;
        var x = Random(24, 33);
        var r = Random(24, 34);
        float[][] Grads(bool inputGrad)
        {
            gamma.Grad.Span.Clear();
            beta?.Grad.Span.Clear();
            var t = new Tape();
            var y = Ops.LayerNormalization(t, t.Constant(x, 4, 6, requiresGrad: inputGrad), gamma, beta, 1e-5f);
            t.Seed(y, r);
            t.Backward();
            return beta is null ? [gamma.Grad.ToArray()] : [gamma.Grad.ToArray(), beta.Grad.ToArray()];
        }
        var with = Grads(true);
        var without = Grads(false);
        Assert.Contains(with[0], v => v != 0f);
        for (int i = 0; i < with.Length; i++) Assert.Equal(with[i], without[i]);
    }

    [Fact]
    public void ColumnsSplitAndRejoin()
    {
        // q, k, v = columns of one [n, 3C] variable; each used, the middle one twice (accumulating into the same columns).
        Check((t, v) =>
        {
            var q = Ops.Columns(t, v[0], 0, 4);
            var k = Ops.Columns(t, v[0], 4, 4);
            var w = Ops.Columns(t, v[0], 8, 4);
            var kk = Ops.Columns(t, v[0], 4, 4);
            return Ops.Add(t, Ops.Add(t, Ops.GatedActivation(t, Ops.Columns(t, v[0], 0, 8), GateFunction.Gelu), Ops.Add(t, q, w)),
                Ops.Add(t, k, Ops.Activation(t, kk, ActivationKind.Tanh)));
        }, [new Input(Random(5 * 12, 26), 5, 12)], [], eps: 1e-3);
    }

    [Fact]
    public void ColumnsOutsideTheVariableAreRefused()
    {
        var t = new Tape(recording: false);
        var x = t.Constant(new float[12], 2, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Columns(t, x, 4, 3));
    }
}
