using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// BERT's sub-layer output, y = LayerNorm(dropout(a) + residual), runs as one parallel pass over blocks of rows forward
/// (<see cref="LayerNorm.AddDropoutForward"/>) and backward in the LayerNorm backward's own pass, each row's residual
/// gradient and dropout mask applied as soon as its dx is done (<see cref="LayerNorm.AddDropoutBackward"/>): on enough
/// rows for several blocks, the same bytes as the kernels run in turn over the whole buffer (<see cref="Dropout.Apply"/>,
/// a vector add, <see cref="LayerNorm.Forward"/>; <see cref="LayerNorm.Backward"/>, a copy or add,
/// <see cref="Dropout.Apply"/>), the parameters' gradients included.
/// </summary>
public sealed class AddDropoutLayerNormTests
{
    [Theory]
    [InlineData(0f, false, false)]
    [InlineData(0.1f, false, false)]
    [InlineData(0.1f, true, true)]
    [InlineData(0.1f, true, false)]
    [InlineData(0f, true, false)]
    public void ManyRowsGiveTheBytesOfTheKernelsInTurn(float dropout, bool residualHasGrad, bool residualFeedsMore)
    {
        const int rows = 3000, cols = 96; // 65,536 / 96 = 682 rows a block: several blocks on any thread count
        var rng = new Random(31);
        float[] Values(int n, float scale) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale)];
        var a = Values(rows * cols, 2f);
        var residual = Values(rows * cols, 1f);
        var dy = Values(rows * cols, 1f);
        var gamma = new Parameter("g", Values(cols, 1f), [cols], weightDecay: false);
        var beta = new Parameter("b", Values(cols, 1f), [cols], weightDecay: false);

        // Through the op (with residualFeedsMore the residual feeds a second consumer, so its gradient accumulates; without,
        // the op's backward writes it first).
        var tape = new Tape { Random = new SkaldRandom(9) };
        var va = tape.Constant((float[])a.Clone(), rows, cols, requiresGrad: true);
        var vr = tape.Constant((float[])residual.Clone(), rows, cols, requiresGrad: residualHasGrad);
        var y = Ops.AddDropoutLayerNorm(tape, va, vr, gamma, beta, 1e-12f, dropout);
        var output = residualFeedsMore ? Ops.Add(tape, y, vr) : y;
        tape.Seed(output, dy);
        tape.Backward();

        // The kernels in turn, with the seed the op drew.
        ulong seed = dropout > 0f ? new SkaldRandom(9).NextUInt64() : 0UL;
        var s = (float[])a.Clone();
        if (dropout > 0f) Dropout.Apply(s, s, dropout, seed);
        System.Numerics.Tensors.TensorPrimitives.Add(s, residual, s);
        var (expected, mean, rstd) = (new float[rows * cols], new float[rows], new float[rows]);
        LayerNorm.Forward(s, gamma.Data.Span, beta.Data.Span, expected, mean, rstd, rows, cols, 1e-12f);
        Assert.True(expected.AsSpan().SequenceEqual(y.Span), "forward differs");
        var ds = new float[rows * cols];
        var (dgamma, dbeta) = (new float[cols], new float[cols]);
        LayerNorm.Backward(dy, s, gamma.Data.Span, mean, rstd, ds, dgamma, dbeta, rows, cols);
        Assert.True(dgamma.AsSpan().SequenceEqual(gamma.Grad.Span), "gamma's gradient differs");
        Assert.True(dbeta.AsSpan().SequenceEqual(beta.Grad.Span), "beta's gradient differs");
        // The residual's gradient: y + residual's (dy), then the LayerNorm path's added; or the LayerNorm path's alone.
        var residualGrad = residualFeedsMore ? Sum(dy, ds) : residualHasGrad ? (float[])ds.Clone() : null;
        if (dropout > 0f) Dropout.Apply(ds, ds, dropout, seed);
        Assert.True(ds.AsSpan().SequenceEqual(va.Grad), "a's gradient differs");
        if (residualGrad is not null) Assert.True(residualGrad.AsSpan().SequenceEqual(vr.Grad), "the residual's gradient differs");
    }

    /// <summary>
    /// A training step calls the backward per sub-layer: once the thread has run one, a call allocates nothing (its rows
    /// and the parameters' partial sums are regions with state, not closures), with and without the parameters'
    /// gradients. Counted per call (<see cref="AllocationFreeCalls"/>).
    /// </summary>
    [Fact]
    public void ABackwardAfterTheFirstAllocatesNothing()
    {
        const int rows = 1024, cols = 64; // 256 rows a block: four blocks
        var rng = new Random(37);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var (x, dy, gamma) = (Values(rows * cols), Values(rows * cols), Values(cols));
        var (mean, rstd, y) = (new float[rows], new float[rows], new float[rows * cols]);
        LayerNorm.Forward(x, gamma, [], y, mean, rstd, rows, cols, 1e-5f);
        var (dx, residual, dgamma, dbeta) = (new float[rows * cols], new float[rows * cols], new float[cols], new float[cols]);
        void Step()
        {
            LayerNorm.AddDropoutBackward(dy, x, gamma, mean, rstd, dx, residual, true, dgamma, dbeta, rows, cols, 0.1f, 3);
            LayerNorm.Backward(dy, x, gamma, mean, rstd, dx, [], [], rows, cols);
        }
        Step();
        var (clean, calls) = AllocationFreeCalls.Count(Step);
        Assert.True(clean > 0, $"every one of {calls} calls allocated");
    }

    private static float[] Sum(float[] x, float[] y)
    {
        var z = new float[x.Length];
        System.Numerics.Tensors.TensorPrimitives.Add(x, y, z);
        return z;
    }
}
