using Skald.Models.Pipeline;
using Skald.Tensors;
using Skald.Training.Autograd;
using static Skald.Training.Tests.Core.GradCheck;

namespace Skald.Training.Tests.Core;

public sealed class OpsGradientTests
{
    [Fact]
    public void Linear()
    {
        var w = Param("w", 1, 0.5f, 5, 4);
        var b = Param("b", 2, 0.5f, 5);
        Check((t, x) => Ops.Linear(t, x[0], w, b), [new Input(Random(12, 3), 3, 4)], [w, b]);
    }

    [Fact]
    public void LinearConcat_MatchesSeparateLinears_AndGradients()
    {
        Parameter[] ws = [Param("q", 1, 0.5f, 4, 4), Param("k", 2, 0.5f, 4, 4), Param("v", 3, 0.5f, 4, 4)];
        Parameter[] bs = [Param("bq", 4, 0.5f, 4), Param("bk", 5, 0.5f, 4), Param("bv", 6, 0.5f, 4)];
        var x = Random(12, 9);
        var tape = new Tape(recording: false);
        var fused = Ops.LinearConcat(tape, tape.Constant(x, 3, 4), ws, bs).Span.ToArray();
        for (int i = 0; i < 3; i++)
        {
            var one = Ops.Linear(tape, tape.Constant(x, 3, 4), ws[i], bs[i]).Span;
            for (int r = 0; r < 3; r++)
            {
                for (int c = 0; c < 4; c++) Assert.Equal(one[r * 4 + c], fused[r * 12 + i * 4 + c], 5);
            }
        }
        Check((t, v) =>
        {
            // The input feeds two consumers so its gradient accumulates.
            var y = Ops.LinearConcat(t, v[0], ws, bs);
            return Ops.Add(t, Ops.Linear(t, y, Param("o", 11, 0.5f, 4, 12), null), Ops.Linear(t, v[0], ws[0], null));
        }, [new Input(x, 3, 4)], [.. ws, .. bs]);
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0f, true)]
    [InlineData(0.3f, false)]
    [InlineData(0.3f, true)]
    public void Attention(float dropout, bool masked)
    {
        int batch = 2, seq = 3, heads = 2, d = 2, c = heads * d;
        var maskBias = new float[batch * seq];
        if (masked) maskBias[5] = float.MinValue; // last token of the second row is padding
        Check((t, v) => Ops.Attention(t, v[0], maskBias, batch, seq, heads, dropout, new SkaldRandom(5)),
            [new Input(Random(batch * seq * 3 * c, 21), batch * seq, 3 * c)], [], eps: 1e-2);
    }

    [Fact]
    public void AttentionWithoutDropout_EqualsKernelPath()
    {
        int batch = 2, seq = 5, heads = 2, d = 4, c = heads * d;
        var qkv = Random(batch * seq * 3 * c, 4);
        var mask = new float[batch * seq];
        mask[9] = float.MinValue;
        var tape = new Tape(recording: false);
        var a = Ops.Attention(tape, tape.Constant(qkv, batch * seq, 3 * c), mask, batch, seq, heads, 0f, null).Span.ToArray();
        var probs = new float[batch * heads * seq * seq];
        var expect = new float[batch * seq * c];
        Tensors.Kernels.Attention.ForwardReference(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), 3 * c, mask, expect, probs, batch,
            seq, heads, d, 1f / MathF.Sqrt(d));
        for (int i = 0; i < a.Length; i++) Assert.Equal(expect[i], a[i], 5);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.25f)]
    public void AddDropoutLayerNorm(float dropout)
    {
        var g = Param("ln.weight", 1, 0.3f, 6);
        for (int i = 0; i < 6; i++) g.Data[i] += 1f;
        var b = Param("ln.bias", 2, 0.3f, 6);
        Check((t, v) =>
        {
            var residual = Ops.Linear(t, v[1], Param("r", 3, 0.5f, 6, 6), null); // keeps the residual a non-leaf consumer
            return Ops.AddDropoutLayerNorm(t, Ops.Linear(t, v[0], Param("a", 4, 0.5f, 6, 6), null), v[1], g, b, 1e-5f,
                dropout, new SkaldRandom(9)) is var y ? Ops.Add(t, y, residual) : null!;
        }, [new Input(Random(18, 5), 3, 6), new Input(Random(18, 6), 3, 6)], [g, b]);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.2f)]
    public void Embeddings(float dropout)
    {
        var word = Param("word", 1, 0.5f, 7, 4);
        var pos = Param("pos", 2, 0.5f, 5, 4);
        var type = Param("type", 3, 0.5f, 2, 4);
        var g = Param("ln.weight", 4, 0.2f, 4);
        var b = Param("ln.bias", 5, 0.2f, 4);
        int[] ids = [1, 3, 3, 6, 0, 2], positions = [0, 1, 2, 0, 1, 2], types = [0, 0, 1, 0, 1, 1];
        Check((t, _) => Ops.Embeddings(t, ids, positions, types, word, pos, type, g, b, 1e-12f, dropout, new SkaldRandom(3)),
            [], [word, pos, type, g, b]);
    }

    [Theory]
    [InlineData(ActivationKind.Gelu)]
    [InlineData(ActivationKind.GeluTanh)]
    [InlineData(ActivationKind.Relu)]
    [InlineData(ActivationKind.Tanh)]
    [InlineData(ActivationKind.Sigmoid)]
    [InlineData(ActivationKind.Identity)]
    public void Activation(ActivationKind kind) =>
        Check((t, v) => Ops.Activation(t, v[0], kind), [new Input(Random(40, 8, 1.5f), 5, 8)], [], eps: 1e-3);

    [Fact]
    public void Normalize() => Check((t, v) => Ops.Normalize(t, v[0]), [new Input(Random(24, 2), 4, 6)], [], eps: 1e-3);

    [Fact]
    public void DropoutAddTruncate() =>
        Check((t, v) => Ops.Truncate(t, Ops.Add(t, Ops.Dropout(t, v[0], 0.4f, new SkaldRandom(1)), v[0]), 3),
            [new Input(Random(24, 2), 4, 6)], []);

    [Theory]
    [InlineData(PoolingMode.Cls)]
    [InlineData(PoolingMode.Max)]
    [InlineData(PoolingMode.Mean)]
    [InlineData(PoolingMode.MeanSqrtLen)]
    [InlineData(PoolingMode.WeightedMean)]
    [InlineData(PoolingMode.LastToken)]
    [InlineData(PoolingMode.Cls | PoolingMode.Max | PoolingMode.Mean | PoolingMode.MeanSqrtLen | PoolingMode.WeightedMean | PoolingMode.LastToken)]
    public void Pooling(PoolingMode modes)
    {
        int batch = 3, seq = 4, c = 5;
        int[] mask = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0];
        var config = new PoolingConfig(c, modes);
        Check((t, v) => Ops.Pool(t, v[0], mask, batch, seq, config), [new Input(Random(batch * seq * c, 3), batch * seq, c)],
            [], eps: 1e-3);
    }

    [Fact]
    public void Pooling_ExcludedPrompt()
    {
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 0];
        var config = new PoolingConfig(3, PoolingMode.Mean | PoolingMode.Max, IncludePrompt: false);
        Check((t, v) => Ops.Pool(t, v[0], mask, 2, 4, config, promptLength: 2), [new Input(Random(24, 4), 8, 3)], [], eps: 1e-3);
    }

    [Fact]
    public void HashDropout_IsReproducibleAndUnbiased()
    {
        var a = new float[1000];
        var b = new float[1000];
        Array.Fill(a, 1f);
        HashDropout.Apply(a, b, 0.1f, 77);
        Assert.Equal(b.Count(x => x == 0f), Enumerable.Range(0, 1000).Count(i => HashDropout.Multiplier(0.1f, 77, i) == 0f));
        Assert.InRange(HashDropout.MeanMultiplier(0.1f, 5, 200_000), 0.99, 1.01);
        Assert.InRange(b.Count(x => x == 0f), 60, 140);
    }
}
