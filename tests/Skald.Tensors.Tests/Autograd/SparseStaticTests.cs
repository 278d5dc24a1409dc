using Skald.Tensors.Autograd;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// <see cref="Ops.SparseStatic"/> (sentence-transformers' SparseStaticEmbedding): each text's row holds the weight of
/// every token it contains, once, and the weights' gradient against finite differences.
/// </summary>
public sealed class SparseStaticTests
{
    private static readonly int[][] Ids = [[1, 3, 3, 7], [0, 9], [2, 2, 2], []];

    private static Parameter Weights() => new("query_0_SparseStaticEmbedding/weight", [0.5f, -1.25f, 2f, 0.75f, 3f, -0.5f, 1.5f, 0.25f, -2f, 1f], [10], weightDecay: true);

    [Fact]
    public void ARowIsItsTokensWeightsOnceAndZeroElsewhere()
    {
        var w = Weights();
        var y = Ops.SparseStatic(new Tape(recording: false), Ids, w);
        Assert.Equal((4, 10), (y.Rows, y.Cols));
        for (int b = 0; b < Ids.Length; b++)
            for (int v = 0; v < 10; v++)
                Assert.Equal(Ids[b].Contains(v) ? w.Data.Span[v] : 0f, y.Span[b * 10 + v]);
    }

    [Fact]
    public void TheWeightsGradientMatchesFiniteDifferences()
    {
        var w = Weights();
        TapeGradCheck.Check((tape, _) => Ops.SparseStatic(tape, Ids, w), [], [w], samples: 10);
        // A repeated token counts once: token 3 (twice in text 0) and token 2 (three times in text 2) get one dy each.
        var tape = new Tape();
        w.Grad.Span.Clear();
        var y = Ops.SparseStatic(tape, Ids, w);
        var dy = Enumerable.Range(0, y.Length).Select(i => (float)(i % 7) - 3f).ToArray();
        tape.Seed(y, dy);
        tape.Backward();
        Assert.Equal(dy[0 * 10 + 3], w.Grad.Span[3]);
        Assert.Equal(dy[2 * 10 + 2], w.Grad.Span[2]);
        Assert.Equal(dy[0 * 10 + 1], w.Grad.Span[1]);
        Assert.Equal(0f, w.Grad.Span[4]); // in no text
    }
}
