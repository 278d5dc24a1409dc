using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>Finite-difference checks of LTG-BERT's (NorBERT3's) ops: relative attention, GeGLU (also GTE's exact-gelu one), affine-free LayerNorm.</summary>
public sealed class RelativeAttentionGradientTests
{
    private const int Batch = 2, Seq = 7, Heads = 2, D = 3, C = Heads * D, Bucket = 4;

    private static float[] Mask()
    {
        var maskBias = new float[Batch * Seq];
        maskBias[Seq + 5] = float.MinValue; // right padding in the second row
        maskBias[Seq + 6] = float.MinValue;
        return maskBias;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    public void RelativeAttentionIntoQkVAndPositions(float dropout)
    {
        // Seq 7 > bucket 4: distances beyond bucket/2 fall into log buckets.
        int r = 2 * Bucket - 1;
        var idx = RelativeAttention.BucketIndices(Seq, Bucket, 16);
        var mask = Mask();
        Check((t, v) => Ops.RelativeAttention(t, v[0], v[1], v[2], idx, mask, Batch, Seq, Heads, dropout),
            [new Input(Random(Batch * Seq * 2 * C, 21), Batch * Seq, 2 * C),
             new Input(Random(Batch * Seq * C, 22), Batch * Seq, C),
             new Input(Random(r * 2 * C, 23), r, 2 * C)], [], eps: 1e-2, samples: 40);
    }

    [Fact]
    public void RelativeAttentionThroughTheSharedRelativeEmbeddingAndItsLayerNorm()
    {
        // As a NorBERT3 layer: pos = in_proj_qk(LayerNorm(relative_embedding)); the same in_proj_qk makes qk from x.
        int r = 2 * Bucket - 1;
        var idx = RelativeAttention.BucketIndices(Seq, Bucket, 16);
        var mask = Mask();
        var rel = Param("embedding.relative_embedding", 31, 0.5f, r, C);
        var lnW = Param("embedding.relative_layer_norm.weight", 32, 0.3f, C);
        var lnB = Param("embedding.relative_layer_norm.bias", 33, 0.3f, C);
        for (int i = 0; i < C; i++) lnW.Data.Span[i] += 1f;
        var wqk = Param("attention.in_proj_qk.weight", 34, 0.5f, 2 * C, C);
        var bqk = Param("attention.in_proj_qk.bias", 35, 0.2f, 2 * C);
        var wv = Param("attention.in_proj_v.weight", 36, 0.5f, C, C);
        Check((t, v) =>
        {
            var relLn = Ops.LayerNormalization(t, Ops.Gather(t, [.. Enumerable.Range(0, r)], rel), lnW, lnB, 1e-7f);
            var pos = Ops.Linear(t, relLn, wqk, bqk);
            var qk = Ops.Linear(t, v[0], wqk, bqk);
            var vv = Ops.Linear(t, v[0], wv, null);
            return Ops.RelativeAttention(t, qk, vv, pos, idx, mask, Batch, Seq, Heads);
        }, [new Input(Random(Batch * Seq * C, 37), Batch * Seq, C)], [rel, lnW, lnB, wqk, bqk, wv], eps: 1e-2, samples: 30);
    }

    [Theory]
    [InlineData(GateFunction.GeluTanh)] // LTG-BERT
    [InlineData(GateFunction.Gelu)]     // GTE's up_gate_proj with hidden_act gelu
    public void GeGluValueFirst(GateFunction f) =>
        Check((t, v) => Ops.GeGluValueFirst(t, v[0], f), [new Input(Random(5 * 8, 41, 1.5f), 5, 8)], [], eps: 1e-3);

    [Theory]
    [InlineData(GateFunction.GeluTanh)]
    [InlineData(GateFunction.Gelu)]
    [InlineData(GateFunction.Silu)]
    public void GeGluValueFirstIsTheGatedTwinOnSwappedHalves(GateFunction f)
    {
        // Forward and backward against GatedActivation's scalar double-precision twin on [gate; x] (the finite-difference
        // check above cannot tell gelu's derivative from gelu_new's, which differ by ~1e-3).
        const int n = 5, inter = 4;
        var data = Random(n * 2 * inter, 43, 1.5f);
        var dy = Random(n * inter, 44);
        var tape = new Tape();
        var x = tape.Constant(data, n, 2 * inter, requiresGrad: true);
        var y = Ops.GeGluValueFirst(tape, x, f);
        tape.Seed(y, dy);
        tape.Backward();
        var swapped = new float[data.Length];
        for (int r = 0; r < n; r++)
        {
            data.AsSpan(r * 2 * inter, inter).CopyTo(swapped.AsSpan(r * 2 * inter + inter, inter));
            data.AsSpan(r * 2 * inter + inter, inter).CopyTo(swapped.AsSpan(r * 2 * inter, inter));
        }
        var expectedY = new float[n * inter];
        var expectedDs = new float[data.Length];
        GatedActivation.ForwardReference(swapped, expectedY, n, inter, f);
        GatedActivation.BackwardReference(swapped, dy, expectedDs, n, inter, f);
        for (int i = 0; i < expectedY.Length; i++) Assert.True(MathF.Abs(expectedY[i] - y.Span[i]) <= 1e-5f, $"y[{i}]");
        var dx = x.Grad.ToArray();
        for (int r = 0; r < n; r++)
        {
            for (int j = 0; j < inter; j++)
            {
                Assert.True(MathF.Abs(expectedDs[r * 2 * inter + inter + j] - dx[r * 2 * inter + j]) <= 1e-5f, $"d value [{r}, {j}]");
                Assert.True(MathF.Abs(expectedDs[r * 2 * inter + j] - dx[r * 2 * inter + inter + j]) <= 1e-5f, $"d gate [{r}, {j}]");
            }
        }
    }

    [Fact]
    public void PlainLayerNorm()
    {
        float[] ones = [1, 1, 1, 1, 1, 1], zeros = new float[6];
        Check((t, v) => Ops.PlainLayerNorm(t, v[0], ones, zeros, 1e-7f), [new Input(Random(24, 42), 4, 6)], [], eps: 1e-3);
    }
}
