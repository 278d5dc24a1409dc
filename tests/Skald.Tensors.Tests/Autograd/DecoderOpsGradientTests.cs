using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>Finite-difference checks of the decoder ops' backward passes.</summary>
public sealed class DecoderOpsGradientTests
{
    [Theory]
    [InlineData(0f, 6)]
    [InlineData(1f, 6)]
    [InlineData(0f, 3)] // per-head norm (Qwen3 q_norm): weight of D values over rows of H·D
    public void RmsNorm(float offset, int groups)
    {
        var w = Param("norm.weight", 1, 0.4f, groups);
        if (offset == 0f) for (int i = 0; i < groups; i++) w.Data.Span[i] += 1f;
        Check((t, v) => Ops.RmsNorm(t, v[0], w, 1e-6f, offset), [new Input(Random(24, 2), 4, 6)], [w], eps: 1e-3);
    }

    [Fact]
    public void Rope()
    {
        var table = new RopeTable(4, 100, new RopeScaling(RopeScalingType.Llama3, 4f, 1f, 4f, 16));
        Check((t, v) => Ops.Rope(t, v[0], table, 3), [new Input(Random(2 * 3 * 8, 3), 6, 8)], [], eps: 1e-3);
    }

    [Theory]
    [InlineData(GateFunction.Silu)]
    [InlineData(GateFunction.GeluTanh)]
    [InlineData(GateFunction.Gelu)]
    public void GatedActivation(GateFunction f) =>
        Check((t, v) => Ops.GatedActivation(t, v[0], f), [new Input(Random(5 * 8, 4, 1.5f), 5, 8)], [], eps: 1e-3);

    [Theory]
    [InlineData(true, 0, 0f, 2)]
    [InlineData(false, 0, 0f, 1)]
    [InlineData(true, 2, 0f, 4)]
    [InlineData(false, 2, 1.2f, 2)]
    public void DecoderAttention(bool causal, int window, float softCap, int kvHeads)
    {
        int batch = 2, seq = 4, heads = 4, d = 2;
        var maskBias = new float[batch * seq];
        maskBias[0] = float.MinValue;     // left padding in the first row
        maskBias[7] = float.MinValue;     // right padding in the second
        var sc = new AttentionScoring(0.7f, causal, window, softCap);
        Check((t, v) => Ops.DecoderAttention(t, v[0], v[1], v[2], maskBias, batch, seq, heads, kvHeads, sc),
            [new Input(Random(batch * seq * heads * d, 5), batch * seq, heads * d),
             new Input(Random(batch * seq * kvHeads * d, 6), batch * seq, kvHeads * d),
             new Input(Random(batch * seq * kvHeads * d, 7), batch * seq, kvHeads * d)], [], eps: 1e-2);
    }

    [Fact]
    public void DecoderAttentionAccumulatesIntoSharedInputs()
    {
        // q and k both come from one leaf (plus a second consumer): the op adds its gradients rather than overwriting.
        var w = Param("w", 8, 0.5f, 4, 4);
        Check((t, v) =>
        {
            var qk = Ops.Linear(t, v[0], w, null);
            var a = Ops.DecoderAttention(t, qk, qk, v[0], default, 1, 3, 2, 2, new AttentionScoring(0.5f, true));
            return Ops.Add(t, a, qk);
        }, [new Input(Random(12, 9), 3, 4)], [w], eps: 1e-2);
    }

    [Fact]
    public void SelectRowsScaleSoftCap() =>
        Check((t, v) => Ops.SoftCap(t, Ops.Scale(t, Ops.SelectRows(t, v[0], [3, 0, 3]), 2.5f), 1.7f),
            [new Input(Random(20, 10), 4, 5)], [], eps: 1e-3);
}
