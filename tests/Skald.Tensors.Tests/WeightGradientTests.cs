using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="WeightGradient"/>: a Linear's dW += dyᵀ·x with the rows cut into chunks the threads claim, against a
/// double-precision sum (independent of the GEMM), the same bits whichever way the chunks run, and the route a recording
/// <see cref="Ops.Linear"/> takes over a training step's rows.
/// </summary>
public sealed class WeightGradientTests
{
    private static float[] Values(Random rng, long n) => [.. Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];

    [Theory]
    [InlineData(5000, 40, 24, 3)]  // two chunks, dy's rows strided
    [InlineData(9001, 33, 70, 0)]  // four chunks, ragged sizes
    [InlineData(3000, 16, 16, 0)]  // one chunk: the single product
    public void AccumulatesDyTransposedTimesXOntoDw(int rows, int outF, int inF, int pad)
    {
        var rng = new Random(rows + outF);
        int ldy = outF + pad;
        var dy = Values(rng, (long)rows * ldy);
        var x = Values(rng, (long)rows * inF);
        var dw = Values(rng, (long)outF * inF);
        var expected = new double[outF * inF];
        var bound = new double[outF * inF];
        for (int i = 0; i < outF; i++)
        {
            for (int j = 0; j < inF; j++)
            {
                double s = dw[i * inF + j], b = Math.Abs(s);
                for (int r = 0; r < rows; r++)
                {
                    double t = (double)dy[(long)r * ldy + i] * x[(long)r * inF + j];
                    s += t;
                    b += Math.Abs(t);
                }
                expected[i * inF + j] = s;
                bound[i * inF + j] = b;
            }
        }
        var scratch = new float[WeightGradient.ScratchLength(rows, outF, inF)];
        WeightGradient.Accumulate(dy, ldy, x, dw, rows, outF, inF, scratch);
        for (int e = 0; e < dw.Length; e++)
            Assert.True(Math.Abs(dw[e] - expected[e]) <= 1e-6 * bound[e] + 1e-6, $"dW[{e}] = {dw[e]}, expected {expected[e]}");
    }

    [Fact]
    public void TheChunksGiveTheSameBitsOnThePoolAndOneAfterAnother()
    {
        const int rows = 12288, outF = 48, inF = 40;
        Assert.Equal(4, WeightGradient.Chunks(rows));
        var rng = new Random(7);
        var dy = Values(rng, (long)rows * outF);
        var x = Values(rng, (long)rows * inF);
        var start = Values(rng, outF * inF);
        var (pooled, serial) = ((float[])start.Clone(), (float[])start.Clone());
        var scratch = new float[WeightGradient.ScratchLength(rows, outF, inF)];
        WeightGradient.Run(dy, outF, x, pooled, rows, outF, inF, scratch, parallel: true);
        Array.Fill(scratch, float.NaN); // nothing is read from the scratch before it is written
        WeightGradient.Run(dy, outF, x, serial, rows, outF, inF, scratch, parallel: false);
        Assert.Equal(serial.Select(BitConverter.SingleToInt32Bits), pooled.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ChunkCountDependsOnTheRowsOnly()
    {
        Assert.Equal(1, WeightGradient.Chunks(1));
        Assert.Equal(1, WeightGradient.Chunks(2 * WeightGradient.MinChunkRows - 1));
        Assert.Equal(2, WeightGradient.Chunks(2 * WeightGradient.MinChunkRows));
        Assert.Equal(WeightGradient.MaxChunks, WeightGradient.Chunks(1 << 20));
        Assert.Equal(0, WeightGradient.ScratchLength(100, 30, 30));
        Assert.Equal(3L * 30 * 20, WeightGradient.ScratchLength(1 << 20, 30, 20));
    }

    /// <summary>
    /// A training step calls this per Linear: once the thread has run one, a call allocates nothing (the chunks and the
    /// partials' sum are regions with state, not closures), counted per call (<see cref="AllocationFreeCalls"/>).
    /// </summary>
    [Fact]
    public void ACallAfterTheFirstAllocatesNothing()
    {
        if (Blas.Backend is not ManagedGemm) return; // the chunks are the managed GEMM's route
        const int rows = 2 * WeightGradient.MinChunkRows, outF = 16, inF = 8;
        Assert.Equal(2, WeightGradient.Chunks(rows));
        var rng = new Random(5);
        var dy = Values(rng, (long)rows * outF);
        var x = Values(rng, (long)rows * inF);
        var dw = new float[outF * inF];
        var scratch = new float[WeightGradient.ScratchLength(rows, outF, inF)];
        WeightGradient.Accumulate(dy, outF, x, dw, rows, outF, inF, scratch);
        var (clean, calls) = AllocationFreeCalls.Count(() => WeightGradient.Accumulate(dy, outF, x, dw, rows, outF, inF, scratch));
        Assert.True(clean > 0, $"every one of {calls} calls allocated");
    }

    /// <summary>A recording Linear over a step's rows accumulates its weight gradient through the chunks (the same bits
    /// as <see cref="WeightGradient.Accumulate"/>),
    /// not as one product over all rows.</summary>
    [Fact]
    public void ARecordingLinearOverAStepsRowsTakesTheChunks()
    {
        if (Blas.Backend is not ManagedGemm) return; // the chunks are the managed GEMM's route
        const int rows = 8192, inF = 24, outF = 40;
        var rng = new Random(11);
        var xs = Values(rng, (long)rows * inF);
        var dy = Values(rng, (long)rows * outF);
        var w = new Parameter("w", Values(rng, outF * inF), [outF, inF], weightDecay: true);
        var tape = new Tape();
        var x = tape.Constant(xs, rows, inF, requiresGrad: false);
        var y = Ops.Linear(tape, x, w, null);
        tape.Seed(y, dy);
        tape.Backward();

        var expected = new float[outF * inF];
        WeightGradient.Accumulate(dy, outF, xs, expected, rows, outF, inF, new float[WeightGradient.ScratchLength(rows, outF, inF)]);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), w.Grad.ToArray().Select(BitConverter.SingleToInt32Bits));
        var single = new float[outF * inF];
        Blas.Sgemm(true, false, outF, inF, rows, 1f, dy, outF, xs, inF, 1f, single, inF);
        Assert.NotEqual(single.Select(BitConverter.SingleToInt32Bits), w.Grad.ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
