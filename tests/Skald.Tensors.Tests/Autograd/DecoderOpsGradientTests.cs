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

    [Fact]
    public void RopeAtPositions()
    {
        // A generation step's rows: explicit positions (continuing left-padded rows), not row mod T.
        var table = new RopeTable(4, 100, new RopeScaling(RopeScalingType.Linear, 2f));
        int[] positions = [5, 0, 2, 9, 3, 3];
        Check((t, v) => Ops.Rope(t, v[0], table, positions), [new Input(Random(6 * 8, 5), 6, 8)], [], eps: 1e-3);
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

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    public void DecoderAttentionWithDropout(bool causal, int kvHeads)
    {
        // Both sides draw the op's seed from a generator with the same seed, so the numeric side sees the same mask.
        int batch = 2, seq = 4, heads = 4, d = 2;
        var maskBias = new float[batch * seq];
        maskBias[7] = float.MinValue;
        var sc = new AttentionScoring(0.7f, causal);
        Check((t, v) => Ops.DecoderAttention(t, v[0], v[1], v[2], maskBias, batch, seq, heads, kvHeads, sc, 0.3f),
            [new Input(Random(batch * seq * heads * d, 15), batch * seq, heads * d),
             new Input(Random(batch * seq * kvHeads * d, 16), batch * seq, kvHeads * d),
             new Input(Random(batch * seq * kvHeads * d, 17), batch * seq, kvHeads * d)], [], eps: 1e-2);
    }

    [Fact]
    public void DecoderAttentionDropoutDrawsOneSeedAndZeroDrawsNone()
    {
        int batch = 1, seq = 5, heads = 2, d = 3;
        var x = Random(batch * seq * heads * d, 18);
        float[] Run(float p, SkaldRandom random)
        {
            var t = new Tape(recording: false) { Random = random };
            var q = t.Constant(x, batch * seq, heads * d);
            return Ops.DecoderAttention(t, q, q, q, default, batch, seq, heads, heads, new AttentionScoring(0.5f, true), p).Span.ToArray();
        }
        var r = new SkaldRandom(3);
        var inference = Run(0f, r);
        Assert.Equal(new SkaldRandom(3).SaveState(), r.SaveState());          // p = 0 draws nothing
        Assert.Equal(Run(0f, new SkaldRandom(99)), inference);
        var dropped = Run(0.5f, r);
        var expected = new SkaldRandom(3);
        expected.NextUInt64();
        Assert.Equal(expected.SaveState(), r.SaveState());                    // one draw per op
        Assert.NotEqual(inference, dropped);
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
