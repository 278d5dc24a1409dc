using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Finite-difference checks of what ModernBERT added: LayerNorm without bias (norm_bias false) and Ops.Columns (the
/// fused Wqkv output split into q, k, v), also when a variable's columns feed several consumers; RoPE on the q and k
/// columns of the fused Wqkv output and attention reading q, k, v from it in place (the ops ModernBERT runs).
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

    [Theory]
    [InlineData(0, 0f)]   // global layer: every key
    [InlineData(2, 0f)]   // local layer: window narrower than T (banded probabilities)
    [InlineData(2, 0.3f)] // attention dropout
    public void RopeQkThenFusedQkvAttention(int window, float dropout)
    {
        int batch = 2, seq = 5, heads = 2, d = 4, c = heads * d;
        var table = new RopeTable(d, 10000);
        var maskBias = new float[batch * seq];
        maskBias[9] = float.MinValue; // a padded key in the second row
        var sc = new AttentionScoring(0.5f, Causal: false, Window: window);
        Check((t, v) => Ops.FusedQkvAttention(t, Ops.RopeQk(t, v[0], table, seq), maskBias, batch, seq, heads, sc, dropout),
            [new Input(Random(batch * seq * 3 * c, 41), batch * seq, 3 * c)], [], eps: 1e-2);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(0, false)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    public void FusedQkvPathIsTheColumnsPath(int window, bool recording)
    {
        // RopeQk + FusedQkvAttention give the bits of Columns + Rope + DecoderAttention (what ModernBERT ran before), and
        // the same input gradient; on a non-recording tape RopeQk rotates in place.
        int batch = 2, seq = 7, heads = 3, d = 8, c = heads * d, n = batch * seq;
        var table = new RopeTable(d, 160000);
        var maskBias = new float[n];
        maskBias[n - 1] = float.MinValue;
        var sc = new AttentionScoring(1f / MathF.Sqrt(d), Causal: false, Window: window);
        var x = Random(n * 3 * c, 42);
        var r = Random(n * c, 43);
        (float[] Y, float[] Dx) Run(bool fused)
        {
            var t = new Tape(recording: recording);
            var qkv = t.Constant(x, n, 3 * c, requiresGrad: recording);
            Variable y;
            if (fused) y = Ops.FusedQkvAttention(t, Ops.RopeQk(t, qkv, table, seq), maskBias, batch, seq, heads, sc);
            else
            {
                var q = Ops.Rope(t, Ops.Columns(t, qkv, 0, c), table, seq);
                var k = Ops.Rope(t, Ops.Columns(t, qkv, c, c), table, seq);
                y = Ops.DecoderAttention(t, q, k, Ops.Columns(t, qkv, 2 * c, c), maskBias, batch, seq, heads, heads, sc);
            }
            var output = y.Span.ToArray();
            if (!recording) return (output, []);
            t.Seed(y, r);
            t.Backward();
            return (output, qkv.Grad.ToArray());
        }
        var (y0, dx0) = Run(false);
        var (y1, dx1) = Run(true);
        Assert.Equal(y0, y1);
        if (recording) TestUtil.AssertClose(dx0, dx1, 1e-6, 1e-5, "qkv gradient");
    }

    [Fact]
    public void RopeQkRefusesAWidthThatIsNotThreeHeadMultiples()
    {
        var t = new Tape(recording: false);
        Assert.Throws<ArgumentException>(() => Ops.RopeQk(t, t.Constant(new float[2 * 12], 2, 12), new RopeTable(8, 10000), 2));
        Assert.Throws<ArgumentException>(() =>
            Ops.FusedQkvAttention(t, t.Constant(new float[2 * 12], 2, 12), default, 1, 2, 3, new AttentionScoring(1f)));
    }

    [Fact]
    public void ColumnsOutsideTheVariableAreRefused()
    {
        var t = new Tape(recording: false);
        var x = t.Constant(new float[12], 2, 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Columns(t, x, 4, 3));
    }
}
