using Skald.Tensors.Autograd;

namespace Skald.Tensors.Tests;

/// <summary><see cref="Ops.ScatterRows"/>: rows placed, the rest 0, and its gradient by finite differences.</summary>
public sealed class ScatterRowsTests
{
    [Fact]
    public void RowsGoWhereTheIndexSaysAndTheGradientGathersThem()
    {
        var rng = new Random(3);
        int[] rows = [4, 0, 2];
        int c = 3, total = 6;
        var xs = TestUtil.RandomArray(rng, rows.Length * c);
        var g = TestUtil.RandomArray(rng, total * c);
        var tape = new Tape();
        var x = tape.Constant(xs, rows.Length, c, requiresGrad: true);
        var y = Ops.ScatterRows(tape, x, rows, total);
        for (int r = 0; r < total; r++)
        {
            int i = Array.IndexOf(rows, r);
            for (int j = 0; j < c; j++) Assert.Equal(i < 0 ? 0f : xs[i * c + j], y.Span[r * c + j]);
        }
        tape.Seed(y, g);
        tape.Backward();
        GradCheck.Check("scatter rows", xs, p =>
        {
            var t = new Tape(recording: false);
            return GradCheck.Dot(g, Ops.ScatterRows(t, t.Constant(p, rows.Length, c), rows, total).Span);
        }, x.Grad.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Ops.ScatterRows(new Tape(recording: false), x, [4, 0, 6], total));
    }
}
