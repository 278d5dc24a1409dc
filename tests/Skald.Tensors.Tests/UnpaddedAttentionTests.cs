using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Tensors.Tests;

/// <summary>
/// Attention over unpadded rows (<see cref="Attention.ForwardInferenceUnpadded"/>, sequences back to back): each
/// sequence's output against the double-accumulating reference run on that sequence alone, and against the padded
/// kernel with the padding masked (the same attention on the real rows); the op's guards; <see cref="UnpaddedRows"/>.
/// </summary>
public sealed class UnpaddedAttentionTests
{
    public static TheoryData<string, int[], int, int, int, bool, int> Cases => new()
    {
        // name, lengths, heads, kvHeads, headDim, causal, window
        { "bert lengths", [32, 5, 17, 1, 30], 4, 4, 32, false, 0 },
        { "one sequence", [23], 2, 2, 64, false, 0 },
        { "empty sequence", [9, 0, 16], 3, 3, 16, false, 0 },
        { "decoder causal gqa", [45, 12, 33], 6, 2, 64, true, 0 },
        { "window", [41, 7], 4, 2, 16, true, 5 },
        { "odd head dim", [19, 4], 3, 1, 5, false, 0 },
        { "longer than the direct kernel", [2100, 3], 1, 1, 8, false, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachSequenceAttendsToItselfAsThePaddedKernelAndTheReferenceDo(string name, int[] lengths, int heads,
        int kvHeads, int d, bool causal, int window)
    {
        var sc = new AttentionScoring(1f / MathF.Sqrt(d), causal, window);
        int batch = lengths.Length, seq = lengths.Max(), n = lengths.Sum();
        int cq = heads * d, ckv = kvHeads * d;
        var offsets = new int[batch + 1];
        for (int b = 0; b < batch; b++) offsets[b + 1] = offsets[b] + lengths[b];
        var rng = new Random(n * 7 + d);
        var q = TestUtil.RandomArray(rng, n * cq, 2f);
        var k = TestUtil.RandomArray(rng, n * ckv, 2f);
        var v = TestUtil.RandomArray(rng, n * ckv);
        var layout = AttentionLayout.Dense(batch, seq, heads, kvHeads, d);
        var unpadded = new float[n * cq];
        Attention.ForwardInferenceUnpadded(q, k, v, unpadded, offsets, layout, sc);

        // The padded batch: row b·T + t holds sequence b's token t, the rest random and masked.
        var pq = TestUtil.RandomArray(rng, batch * seq * cq, 2f);
        var pk = TestUtil.RandomArray(rng, batch * seq * ckv, 2f);
        var pv = TestUtil.RandomArray(rng, batch * seq * ckv);
        var mask = new float[batch * seq];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < seq; t++)
            {
                int row = b * seq + t;
                if (t >= lengths[b])
                {
                    mask[row] = float.MinValue;
                    continue;
                }
                q.AsSpan((offsets[b] + t) * cq, cq).CopyTo(pq.AsSpan(row * cq));
                k.AsSpan((offsets[b] + t) * ckv, ckv).CopyTo(pk.AsSpan(row * ckv));
                v.AsSpan((offsets[b] + t) * ckv, ckv).CopyTo(pv.AsSpan(row * ckv));
            }
        }
        var padded = new float[batch * seq * cq];
        Attention.ForwardInference(pq, pk, pv, mask, padded, layout, sc);
        for (int b = 0; b < batch; b++)
        {
            int len = lengths[b];
            if (len == 0) continue;
            var mine = unpadded.AsSpan(offsets[b] * cq, len * cq);
            var expected = new float[len * cq];
            var one = AttentionLayout.Dense(1, len, heads, kvHeads, d);
            Attention.ForwardReference(q.AsSpan(offsets[b] * cq, len * cq), k.AsSpan(offsets[b] * ckv, len * ckv),
                v.AsSpan(offsets[b] * ckv, len * ckv), default, expected, new float[(long)heads * len * len], one, sc);
            TestUtil.AssertCloseScaled(expected, mine, 2e-6, $"{name}: sequence {b} against the reference");
            TestUtil.AssertCloseScaled(padded.AsSpan(b * seq * cq, len * cq), mine, 2e-6, $"{name}: sequence {b} against the padded kernel");
        }
    }

    [Fact]
    public void OffsetsThatDoNotFitTheLayoutAreRefused()
    {
        var l = AttentionLayout.Dense(2, 4, 1, 1, 4);
        var x = new float[8 * 4];
        var ex = Assert.Throws<ArgumentException>(() => Attention.ForwardInferenceUnpadded(x, x, x, x, [0, 3], l, new AttentionScoring(1f)));
        Assert.Contains("[3]", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Attention.ForwardInferenceUnpadded(x, x, x, x, [0, 5, 8], l, new AttentionScoring(1f)));
        Assert.Contains("sequence 0 has length 5", ex.Message);
    }

    [Fact]
    public void RowsComeFromTheMaskWhicheverSideIsPadded()
    {
        // [3, 4]: right-padded, full, left-padded.
        int[] mask = [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1];
        var rows = UnpaddedRows.FromMask(mask, 3, 4)!;
        Assert.Equal([0, 1, 4, 5, 6, 7, 11], rows.Index);
        Assert.Equal([0, 2, 6, 7], rows.Offsets);
        Assert.Equal(4, rows.Longest);
        Assert.Equal(7, rows.Count);
        Assert.Equal([10, 11, 14, 15, 16, 17, 21], rows.Select([.. Enumerable.Range(10, 12)]));
        Assert.Null(UnpaddedRows.FromMask([1, 1, 1, 1], 2, 2));
        Assert.Null(UnpaddedRows.FromMask([0, 0, 0, 0], 2, 2));
    }

    [Fact]
    public void RowsOnATapeReuseTheirArraysAfterResetWithTheSameValues()
    {
        var tape = new Tape(recording: false);
        int[] mask = [1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1], values = [.. Enumerable.Range(10, 12)];
        var first = UnpaddedRows.FromMask(mask, 3, 4, tape)!;
        var (index, offsets, selected) = (first.Index, first.Offsets, first.Select(values));
        Assert.NotSame(index, selected); // both lent at once: distinct arrays of one length
        // dirty them, as a pass's caller may not: the next pass fills every entry it reports again
        Array.Fill(index, -1);
        Array.Fill(offsets, -1);
        tape.Reset();
        var second = UnpaddedRows.FromMask(mask, 3, 4, tape)!;
        Assert.Same(first, second);
        Assert.True(ReferenceEquals(second.Index, index) || ReferenceEquals(second.Index, selected)); // lent again, not allocated
        Assert.Same(offsets, second.Offsets);
        Assert.Equal([0, 1, 4, 5, 6, 7, 11], second.Index);
        Assert.Equal([0, 2, 6, 7], second.Offsets);
        Assert.Equal([10, 11, 14, 15, 16, 17, 21], second.Select(values));
        // without a Reset nothing is lent twice
        var third = UnpaddedRows.FromMask(mask, 3, 4, tape)!;
        Assert.NotSame(second, third);
        Assert.NotSame(second.Index, third.Index);
        int[][] earlier = [index, selected, second.Index, third.Index]; // the instances are reused: their arrays, now
        // a pass of another shape in between: the tape keeps only the last pass's arrays
        tape.Reset();
        var other = UnpaddedRows.FromMask([1, 0, 1, 1], 2, 2, tape)!;
        Assert.Equal([0, 2, 3], other.Index);
        tape.Reset();
        var again = UnpaddedRows.FromMask(mask, 3, 4, tape)!;
        Assert.False(earlier.Any(a => ReferenceEquals(a, again.Index)), "an array of a pass before the last was kept");
    }

    [Fact]
    public void TheOpRunsOnInferenceTapesOnly()
    {
        var rows = UnpaddedRows.FromMask([1, 0], 1, 2)!;
        var recording = new Tape(recording: true) { DirectAttention = true };
        var qkv = recording.NewVariable(1, 6);
        Assert.Throws<InvalidOperationException>(() => Ops.Attention(recording, qkv, rows, 2));
        var noDirect = new Tape(recording: false);
        Assert.Throws<InvalidOperationException>(() => Ops.Attention(noDirect, noDirect.NewVariable(1, 6), rows, 2));
        var inference = new Tape(recording: false) { DirectAttention = true };
        var y = Ops.Attention(inference, inference.NewVariable(1, 6), rows, 2);
        Assert.Equal((1, 2), (y.Rows, y.Cols));
    }
}
