using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Ops.ScaleQueries (GTE's logn_attention_scale: the q columns of a fused qkv times a per-row factor): its gradient
/// through RoPE and attention against central differences, and its values against the attention scale it amounts to
/// (a sequence's queries times f is softmax scale s·f for that sequence), in place on a non-recording tape.
/// </summary>
public sealed class ScaleQueriesGradientTests
{
    [Fact]
    public void GradientThroughRopeAndAttentionMatchesFiniteDifferences()
    {
        int batch = 2, seq = 5, heads = 2, d = 4, c = heads * d;
        var table = new RopeTable(d, 10000);
        var maskBias = new float[batch * seq];
        maskBias[9] = float.MinValue; // a padded key in the second row
        var factors = new float[batch * seq];
        Array.Fill(factors, 1.4f, 0, seq);
        Array.Fill(factors, 0.6f, seq, seq);
        var sc = new AttentionScoring(0.5f);
        Check((t, v) => Ops.FusedQkvAttention(t, Ops.ScaleQueries(t, Ops.RopeQk(t, v[0], table, seq), factors), maskBias, batch, seq, heads, sc),
            [new Input(Random(batch * seq * 3 * c, 51), batch * seq, 3 * c)], [], eps: 1e-2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScaledQueriesAreThatSequencesAttentionScale(bool recording)
    {
        int batch = 2, seq = 6, heads = 3, d = 4, c = heads * d, n = batch * seq;
        var x = Random(n * 3 * c, 52);
        var factors = new float[n];
        Array.Fill(factors, 0.7f, 0, seq);
        Array.Fill(factors, 1.3f, seq, seq);
        var maskBias = new float[n];
        var t = new Tape(recording: recording);
        var qkv = t.Constant((float[])x.Clone(), n, 3 * c, requiresGrad: recording);
        var scaled = Ops.ScaleQueries(t, qkv, factors);
        Assert.Equal(!recording, ReferenceEquals(scaled, qkv)); // in place only when nothing records
        var y = Ops.FusedQkvAttention(t, scaled, maskBias, batch, seq, heads, new AttentionScoring(0.5f)).Span.ToArray();
        for (int b = 0; b < batch; b++)
        {
            // Sequence b alone, unscaled queries, softmax scale 0.5·f_b.
            var plain = new Tape(recording: false);
            var rows = plain.Constant(x.AsSpan(b * seq * 3 * c, seq * 3 * c).ToArray(), seq, 3 * c);
            var expected = Ops.FusedQkvAttention(plain, rows, new float[seq], 1, seq, heads, new AttentionScoring(0.5f * factors[b * seq])).Span;
            for (int i = 0; i < seq * c; i++)
                Assert.True(MathF.Abs(expected[i] - y[b * seq * c + i]) <= 1e-5f, $"sequence {b} [{i}]: {expected[i]} vs {y[b * seq * c + i]}");
        }
        if (recording)
            for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], qkv.Span[i]); // the input is left as it was
    }

    [Fact]
    public void AFactorCountOtherThanTheRowsIsRefused()
    {
        var t = new Tape(recording: false);
        Assert.Throws<ArgumentException>(() => Ops.ScaleQueries(t, t.Constant(new float[2 * 12], 2, 12), new float[3]));
    }
}
