using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>Finite-difference checks of GPT-BERT's ops and of windowed (banded) attention's backward.</summary>
public sealed class GptBertOpsGradientTests
{
    [Theory]
    [InlineData(6, true)]   // a norm over the row, then the next projection's (1 + scale)
    [InlineData(3, true)]   // per head (q_norm with q_scale [H, D])
    [InlineData(6, false)]  // affine-free LayerNorm alone
    public void ScaledLayerNorm(int group, bool scaled)
    {
        var s = Param("proj.scale", 3, 0.3f, 6);
        Check((t, v) => Ops.ScaledLayerNorm(t, v[0], group, 1e-7f, scaled ? s : null),
            [new Input(Random(24, 2), 4, 6)], scaled ? [s] : [], eps: 1e-3);
    }

    [Theory]
    [InlineData(1, -1)]
    [InlineData(3, 2)]
    [InlineData(5, 4)]
    public void Mix(int index, int gainIndex)
    {
        var lambdas = Param("lambdas", 4, 0.5f, 6);
        Check((t, v) => Ops.Mix(t, v[0], v[1], lambdas, index, gainIndex),
            [new Input(Random(15, 5), 3, 5), new Input(Random(15, 6), 3, 5)], [lambdas], eps: 1e-3);
    }

    [Fact]
    public void MixOfAVariableWithItselfAccumulates()
    {
        var lambdas = Param("lambdas", 8, 0.5f, 6);
        Check((t, v) => Ops.Add(t, Ops.Mix(t, v[0], v[0], lambdas, 0), Ops.Mix(t, v[0], v[0], lambdas, 3, 2)),
            [new Input(Random(12, 9), 3, 4)], [lambdas], eps: 1e-3);
    }

    [Theory]
    [InlineData(false, 2, 0f, 2, 0f)]
    [InlineData(true, 3, 0f, 1, 0f)]
    [InlineData(false, 3, 1.3f, 2, 0.3f)]
    public void BandedDecoderAttention(bool causal, int window, float softCap, int kvHeads, float dropout)
    {
        int batch = 2, seq = 37, heads = 2, d = 2; // a window far narrower than T: the banded layout, two query blocks
        var sc = new AttentionScoring(0.7f, causal, window, softCap);
        Assert.True(AttentionLayout.For(batch, seq, heads, kvHeads, d, sc).Band > 0);
        var maskBias = new float[batch * seq];
        maskBias[0] = float.MinValue;           // left padding in the first row
        maskBias[2 * seq - 1] = float.MinValue; // right padding in the second (a window of only masked keys has a
                                                // score-independent softmax: no finite difference to compare)
        Check((t, v) => Ops.DecoderAttention(t, v[0], v[1], v[2], maskBias, batch, seq, heads, kvHeads, sc, dropout),
            [new Input(Random(batch * seq * heads * d, 25), batch * seq, heads * d),
             new Input(Random(batch * seq * kvHeads * d, 26), batch * seq, kvHeads * d),
             new Input(Random(batch * seq * kvHeads * d, 27), batch * seq, kvHeads * d)], [], eps: 1e-2, samples: 40);
    }
}
