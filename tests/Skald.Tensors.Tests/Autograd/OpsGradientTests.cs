using Skald.Tensors.Autograd;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

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
    public void StackedParameters_AreViewsThatOneLinearComputes()
    {
        var (whole, parts) = Parameter.Stack("qkv", [("q", [4, 4]), ("k", [4, 4]), ("v", [4, 4])], weightDecay: true);
        var (bias, biasParts) = Parameter.Stack("qkv.bias", [("bq", [4]), ("bk", [4]), ("bv", [4])], weightDecay: false);
        for (int i = 0; i < 3; i++)
        {
            Random(16, (ulong)i + 1, 0.5f).CopyTo(parts[i].Data.Span);
            Random(4, (ulong)i + 4, 0.5f).CopyTo(biasParts[i].Data.Span);
        }
        Assert.Equal([12, 4], whole.Shape);
        Assert.Equal("k", parts[1].Name);
        // The stacked product equals the three separate products side by side.
        var x = Random(12, 9);
        var tape = new Tape(recording: false);
        var fused = Ops.Linear(tape, tape.Constant(x, 3, 4), whole, bias).Span.ToArray();
        for (int i = 0; i < 3; i++)
        {
            var one = Ops.Linear(tape, tape.Constant(x, 3, 4), parts[i], biasParts[i]).Span;
            for (int r = 0; r < 3; r++)
            {
                for (int c = 0; c < 4; c++) Assert.Equal(one[r * 4 + c], fused[r * 12 + i * 4 + c], 5);
            }
        }
        // Gradients through the stacked view land in the parts (they share storage).
        Check((t, v) =>
        {
            // The input feeds two consumers so its gradient accumulates.
            var y = Ops.Linear(t, v[0], whole, bias);
            return Ops.Add(t, Ops.Linear(t, y, Param("o", 11, 0.5f, 4, 12), null), Ops.Linear(t, v[0], parts[0], null));
        }, [new Input(x, 3, 4)], [.. parts, .. biasParts]);
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
        Check((t, v) => Ops.Attention(t, v[0], maskBias, batch, seq, heads, dropout),
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
        var a = Ops.Attention(tape, tape.Constant(qkv, batch * seq, 3 * c), mask, batch, seq, heads, 0f).Span.ToArray();
        var probs = new float[batch * heads * seq * seq];
        var expect = new float[batch * seq * c];
        Kernels.Attention.ForwardReference(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), 3 * c, mask, expect, probs, batch,
            seq, heads, d, 1f / MathF.Sqrt(d));
        for (int i = 0; i < a.Length; i++) Assert.Equal(expect[i], a[i], 5);
    }

    [Fact]
    public void AttentionWithDropout_IsDroppedProbabilitiesTimesV()
    {
        // The op's output is dropout(P)·V with the mask Dropout gives the [B, H, T, T] probabilities for the op's seed
        // (the first draw of the tape's generator), checked against the kernel's double-precision reference.
        int batch = 2, seq = 5, heads = 2, d = 4, c = heads * d;
        const float p = 0.3f;
        var qkv = Random(batch * seq * 3 * c, 5);
        var mask = new float[batch * seq];
        mask[9] = float.MinValue;
        var tape = new Tape(recording: false) { Random = new SkaldRandom(17) };
        var a = Ops.Attention(tape, tape.Constant(qkv, batch * seq, 3 * c), mask, batch, seq, heads, p).Span.ToArray();
        ulong seed = new SkaldRandom(17).NextUInt64();
        var probs = new float[batch * heads * seq * seq];
        var expect = new float[batch * seq * c];
        var layout = new Kernels.AttentionLayout(batch, seq, heads, heads, d, 3 * c, 3 * c, c);
        Kernels.Attention.ForwardReference(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), mask, expect, probs, layout,
            new Kernels.AttentionScoring(1f / MathF.Sqrt(d)), p, seed);
        for (int i = 0; i < a.Length; i++) Assert.Equal(expect[i], a[i], 5);
        var undropped = new float[batch * seq * c];
        Kernels.Attention.ForwardReference(qkv, qkv.AsSpan(c), qkv.AsSpan(2 * c), mask, undropped, probs, layout,
            new Kernels.AttentionScoring(1f / MathF.Sqrt(d)));
        Assert.Contains(Enumerable.Range(0, a.Length), i => Math.Abs(undropped[i] - a[i]) > 1e-3); // the mask did act
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.25f)]
    public void AddDropoutLayerNorm(float dropout)
    {
        var g = Param("ln.weight", 1, 0.3f, 6);
        for (int i = 0; i < 6; i++) g.Data.Span[i] += 1f;
        var b = Param("ln.bias", 2, 0.3f, 6);
        Check((t, v) =>
        {
            var residual = Ops.Linear(t, v[1], Param("r", 3, 0.5f, 6, 6), null); // keeps the residual a non-leaf consumer
            return Ops.AddDropoutLayerNorm(t, Ops.Linear(t, v[0], Param("a", 4, 0.5f, 6, 6), null), v[1], g, b, 1e-5f,
                dropout) is var y ? Ops.Add(t, y, residual) : null!;
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
        Check((t, _) => Ops.Embeddings(t, ids, positions, types, word, pos, type, g, b, 1e-12f, dropout),
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
        Check((t, v) => Ops.Truncate(t, Ops.Add(t, Ops.Dropout(t, v[0], 0.4f), v[0]), 3),
            [new Input(Random(24, 2), 4, 6)], []);

    [Fact]
    public void GatherScattersIntoTheTable()
    {
        var table = Param("table", 3, 0.5f, 3, 4);
        Check((t, _) => Ops.Gather(t, [2, 0, 2, 1], table), [], [table]);
    }

    [Fact]
    public void NonRecordingTapeKeepsOneLayerOfActivationsAndRecyclesVariables()
    {
        var w = Param("w", 1, 0.5f, 8, 8);
        var tape = new Tape(recording: false);
        var x = tape.Constant(Random(32, 2), 4, 8);
        var expected = x.Span.ToArray();
        for (int layer = 0; layer < 3; layer++)
        {
            var mark = tape.Mark();
            var y = Ops.Activation(tape, Ops.Linear(tape, x, w, null), ActivationKind.Tanh);
            x = tape.Keep(mark, y);
            var next = new float[32];
            Kernels.Linear.Forward(expected, w.Data.Span, default, next, 4, 8, 8);
            Kernels.Activations.Tanh(next, next);
            expected = next;
            Assert.Equal(expected, x.Span.ToArray());
        }

        // A warm tape runs a pass again without allocating: arena memory and variable objects are reused and no
        // backward closure is built. (Measured on ops whose kernels run inline: the kernels' parallel loops allocate
        // their own delegates, a cost of the kernels, not of the tape.)
        var input = Random(32, 2);
        void Pass(out Variable first, out Variable last)
        {
            tape.Reset();
            first = tape.Constant(input, 4, 8);
            last = first;
            for (int layer = 0; layer < 3; layer++)
            {
                var mark = tape.Mark();
                var a = Ops.Activation(tape, Ops.Add(tape, last, last), ActivationKind.Tanh);
                last = tape.Keep(mark, Ops.Normalize(tape, Ops.Truncate(tape, a, 8)));
            }
        }
        Pass(out var warmFirst, out var warmLast);
        var expectedLast = warmLast.Span.ToArray();
        long capacity = tape.Arena.CapacityFloats;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Pass(out var again, out var last);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(warmFirst, again);
        Assert.Equal(expectedLast, last.Span.ToArray());
        Assert.Equal(capacity, tape.Arena.CapacityFloats);
        Assert.Equal(0, allocated);
    }
}
