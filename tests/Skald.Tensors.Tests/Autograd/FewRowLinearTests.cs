using Skald.Tensors.Autograd;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// <see cref="Tape.FewRowLinear"/>: with it at 24, a Linear of 24 rows gives each row the bits of that row multiplied
/// alone (the few-row GEMM sums a row in one order whatever the rows; without it 24 rows take the packed GEMM, whose
/// sums round differently), for float32 and bfloat16 weights; products of more rows than it are unchanged.
/// </summary>
public sealed class FewRowLinearTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RowsUpToTheLimitGiveTheirSoloBits(bool bf16)
    {
        var rng = new Random(9);
        int rows = 24, k = 300, n = 70;
        var values = TestUtil.RandomArray(rng, n * k);
        var w = bf16 ? new Parameter("w", values.Select(Kernels.Bf16.FromSingle).ToArray(), [n, k], weightDecay: false)
            : new Parameter("w", values, [n, k], weightDecay: false);
        var x = TestUtil.RandomArray(rng, rows * k);
        var tape = new Tape(recording: false) { FewRowLinear = rows };
        var all = Ops.Linear(tape, tape.Constant(x, rows, k), w, null).Span.ToArray();
        for (int i = 0; i < rows; i++)
        {
            var solo = Ops.Linear(tape, tape.Constant(x[(i * k)..((i + 1) * k)], 1, k), w, null).Span.ToArray();
            Assert.Equal(solo, all[(i * n)..((i + 1) * n)]);
        }
        var more = TestUtil.RandomArray(rng, (rows + 1) * k);
        var plain = new Tape(recording: false);
        Assert.Equal(Ops.Linear(plain, plain.Constant(more, rows + 1, k), w, null).Span.ToArray(),
            Ops.Linear(tape, tape.Constant(more, rows + 1, k), w, null).Span.ToArray());
    }
}
