using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="Ops.SpladePooling"/>: equal to the logits materialised and pooled in double
/// (<see cref="SpladePooling.ForwardReference"/>) for both strategies and activations, across chunk boundaries; its
/// gradients by finite differences for the hidden rows, the decoder and its bias; the SIMD max equal to its scalar twin.
/// </summary>
public sealed class SpladePoolingTests
{
    private const int C = 6, V = 37;

    // 3 texts over 70 rows (more than one chunk of 64), rows of a text not contiguous.
    private static int[] Owners() => [.. Enumerable.Range(0, 70).Select(r => r % 7 == 0 ? 2 : r % 3 == 0 ? 1 : r < 40 ? 0 : 2)];

    [Theory]
    [InlineData(SpladeStrategy.Max, SpladeActivation.Relu, 0)]
    [InlineData(SpladeStrategy.Max, SpladeActivation.Log1pRelu, 0)]
    [InlineData(SpladeStrategy.Sum, SpladeActivation.Relu, 0)]
    [InlineData(SpladeStrategy.Sum, SpladeActivation.Log1pRelu, 0)]
    [InlineData(SpladeStrategy.Max, SpladeActivation.Relu, 9)] // ids 0..8 excluded (their logits −∞)
    [InlineData(SpladeStrategy.Sum, SpladeActivation.Log1pRelu, 9)]
    public void PoolsAsTheMaterialisedLogitsDoAndItsGradientsAreTheFiniteDifferences(SpladeStrategy strategy, SpladeActivation activation, int excluded)
    {
        var rng = new Random(11);
        int[] owner = Owners();
        int m = owner.Length, batch = 3;
        var h = TestUtil.RandomArray(rng, m * C);
        var w = TestUtil.RandomArray(rng, V * C);
        var bias = TestUtil.RandomArray(rng, V).Select(x => 2f * x - 3f).ToArray();
        var g = TestUtil.RandomArray(rng, batch * V);

        var logits = new float[m * V];
        for (int r = 0; r < m; r++)
        {
            for (int v = 0; v < V; v++)
            {
                double z = bias[v];
                for (int k = 0; k < C; k++) z += (double)h[r * C + k] * w[v * C + k];
                logits[r * V + v] = v < excluded ? float.NegativeInfinity : (float)z;
            }
        }
        var expected = new float[batch * V];
        SpladePooling.ForwardReference(logits, owner, batch, V, activation, strategy, expected);
        Assert.Contains(expected, x => x == 0f); // some entries sparse,
        Assert.Contains(expected, x => x > 0f);  // some not

        var tape = new Tape();
        var hv = tape.Constant(h, m, C, requiresGrad: true);
        var wp = new Parameter("w", (float[])w.Clone(), [V, C], true);
        var bp = new Parameter("b", (float[])bias.Clone(), [V], false);
        var y = Ops.SpladePooling(tape, hv, owner, batch, wp, bp, activation, strategy, excluded);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y.Span[i], 1e-5f);
        var inference = new Tape(recording: false);
        var yi = Ops.SpladePooling(inference, inference.Constant(h, m, C), owner, batch, wp, bp, activation, strategy, excluded);
        Assert.Equal(y.Span.ToArray(), yi.Span.ToArray()); // recording changes nothing in the values

        tape.Seed(y, g);
        tape.Backward();
        double Loss(float[] hs, float[] ws, float[] bs)
        {
            var t = new Tape(recording: false);
            var p = Ops.SpladePooling(t, t.Constant(hs, m, C), owner, batch, new Parameter("w", ws, [V, C], true),
                new Parameter("b", bs, [V], false), activation, strategy, excluded);
            return GradCheck.Dot(g, p.Span);
        }
        GradCheck.Check("dh", h, p => Loss(p, w, bias), hv.Grad.ToArray(), h: 2e-3f);
        GradCheck.Check("dW", w, p => Loss(h, p, bias), wp.Grad.ToArray(), h: 2e-3f);
        GradCheck.Check("db", bias, p => Loss(h, w, p), bp.Grad.ToArray(), h: 2e-3f);
        Assert.Contains(wp.Grad.ToArray(), x => x != 0f);
        Assert.All(bp.Grad.ToArray()[..excluded], x => Assert.Equal(0f, x)); // excluded ids get nothing
    }

    [Fact]
    public void TheVectorMaxEqualsItsScalarTwin()
    {
        var rng = new Random(5);
        int n = 1000;
        var running = TestUtil.RandomArray(rng, n);
        var scalar = (float[])running.Clone();
        var slots = Enumerable.Repeat(-1, n).ToArray();
        var scalarSlots = (int[])slots.Clone();
        for (int row = 0; row < 9; row++)
        {
            var z = TestUtil.RandomArray(rng, n);
            SpladePooling.MaxInto(z, running, slots, row);
            SpladePooling.MaxIntoScalar(z, scalar, scalarSlots, row);
        }
        Assert.Equal(scalar, running);
        Assert.Equal(scalarSlots, slots);
        Assert.Contains(slots, s => s > 0);
    }

    [Fact]
    public void ABadOwnerOrShapeIsRefused()
    {
        var tape = new Tape(recording: false);
        var h = tape.Constant(new float[2 * C], 2, C);
        var w = new Parameter("w", new float[V * C], [V, C], false);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.SpladePooling(tape, h, [0, 2], 2, w, null, SpladeActivation.Relu, SpladeStrategy.Max));
        Assert.Throws<ArgumentException>(() => Ops.SpladePooling(tape, h, [0], 2, w, null, SpladeActivation.Relu, SpladeStrategy.Max));
        Assert.Throws<ArgumentException>(() => Ops.SpladePooling(tape, h, [0, 1], 2, new Parameter("w", new float[V * 5], [V, 5], false), null,
            SpladeActivation.Relu, SpladeStrategy.Max));
    }
}
