using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;
using Skald.Tensors.Memory;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// Activation recomputation (<see cref="Tape.Checkpointing"/>, <see cref="Tape.Layer{TState}"/>): the same outputs,
/// gradients and generator state bit for bit as a pass that keeps every activation, with one recorded entry per layer.
/// </summary>
public sealed class CheckpointTests
{
    private const int Batch = 2, Seq = 5, Heads = 2, Width = 8, Layers = 3;

    /// <summary>A small pre-norm decoder-like layer with every random op: attention dropout, dropout, LoRA dropout.</summary>
    private sealed class Block
    {
        private readonly Parameter norm, qkv, o, up;

        public Block(int i)
        {
            norm = Param($"l{i}.norm", (ulong)(10 * i + 1), 0.2f, Width);
            for (int k = 0; k < Width; k++) norm.Data.Span[k] += 1f;
            qkv = Param($"l{i}.qkv", (ulong)(10 * i + 2), 0.4f, 3 * Width, Width);
            o = Param($"l{i}.o", (ulong)(10 * i + 3), 0.4f, Width, Width);
            up = Param($"l{i}.up", (ulong)(10 * i + 4), 0.4f, Width, Width);
            up.Lora = new LoraAdapter(Param($"l{i}.up.A", (ulong)(10 * i + 5), 0.3f, 2, Width),
                Param($"l{i}.up.B", (ulong)(10 * i + 6), 0.3f, Width, 2), 2f, 0.2f);
        }

        public IEnumerable<Parameter> Parameters => [norm, qkv, o, up, up.Lora!.A, up.Lora.B];

        // x [B·T, C] → [B·T, C]
        public Variable Forward(Tape t, Variable x)
        {
            var h = Ops.RmsNorm(t, x, norm, 1e-6f);
            var qkvOut = Ops.Linear(t, h, qkv, null);                                          // [B·T, 3C]
            var ctx = Ops.Attention(t, qkvOut, default, Batch, Seq, Heads, t.Dropout);         // [B·T, C]
            var a = Ops.Add(t, x, Ops.Dropout(t, Ops.Linear(t, ctx, o, null), t.Dropout));
            var d = Ops.DecoderAttention(t, a, a, a, default, Batch, Seq, Heads, Heads, new AttentionScoring(0.5f, true), t.Dropout);
            return Ops.Add(t, a, Ops.Linear(t, d, up, null));
        }
    }

    private readonly record struct Step(Block Block)
    {
        public static readonly Func<Tape, Variable, Step, Variable> Run = static (t, x, s) => s.Block.Forward(t, x);
    }

    private sealed record Result(float[] Output, float[] InputGrad, float[][] Grads, ulong[] RandomAfter, int Entries,
        long ArenaFloats);

    private static Result Train(bool checkpointing, float dropout)
    {
        var blocks = Enumerable.Range(0, Layers).Select(i => new Block(i)).ToArray();
        var parameters = blocks.SelectMany(b => b.Parameters).ToArray();
        var tape = new Tape(new ChunkArena(256))
        {
            Random = new SkaldRandom(77), Dropout = dropout, Training = dropout > 0f, Checkpointing = checkpointing,
        };
        var x0 = tape.Constant(Random(Batch * Seq * Width, 3), Batch * Seq, Width, requiresGrad: true);
        var x = x0;
        foreach (var b in blocks) x = tape.Layer(x, new Step(b), Step.Run);
        var y = Ops.Scale(tape, x, 1.5f);
        int entries = tape.Count;
        long arena = tape.Arena.CapacityFloats;
        var output = y.Span.ToArray();
        tape.Seed(y, Random(y.Length, 4));
        tape.Backward();
        return new Result(output, x0.Grad.ToArray(), [.. parameters.Select(p => p.Grad.ToArray())], tape.Random.SaveState(),
            entries, arena);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]
    public void GradientsAreBitIdentical(float dropout)
    {
        var kept = Train(checkpointing: false, dropout);
        var recomputed = Train(checkpointing: true, dropout);
        Assert.Equal(kept.Output, recomputed.Output);
        Assert.Equal(kept.InputGrad, recomputed.InputGrad);
        for (int k = 0; k < kept.Grads.Length; k++) Assert.Equal(kept.Grads[k], recomputed.Grads[k]);
        Assert.Equal(kept.RandomAfter, recomputed.RandomAfter); // the replay left the generator where the forward did
        Assert.Equal(Layers + 1, recomputed.Entries);           // one closure per layer (+ the scale)
        Assert.True(kept.Entries > 4 * Layers);
        Assert.True(recomputed.ArenaFloats * 2 < kept.ArenaFloats, $"{recomputed.ArenaFloats} vs {kept.ArenaFloats} floats");
        if (dropout > 0f) Assert.NotEqual(Train(checkpointing: false, 0f).Output, kept.Output);
    }

    [Fact]
    public void CheckpointedLayersPassTheFiniteDifferenceCheck()
    {
        var block = new Block(5);
        Check((t, v) =>
        {
            t.Dropout = 0.25f;
            t.Training = true;
            t.Checkpointing = true;
            var x = t.Layer(v[0], new Step(block), Step.Run);
            return t.Layer(x, new Step(block), Step.Run);
        }, [new Input(Random(Batch * Seq * Width, 8), Batch * Seq, Width)], [.. block.Parameters], eps: 1e-2);
    }

    [Fact]
    public void NotRecordingKeepsOneLayerAndRecordsNothing()
    {
        var blocks = Enumerable.Range(0, Layers).Select(i => new Block(i)).ToArray();
        float[] Run(bool checkpointing)
        {
            var tape = new Tape(new ChunkArena(1 << 16), recording: false) { Checkpointing = checkpointing };
            var x = tape.Constant(Random(Batch * Seq * Width, 3), Batch * Seq, Width);
            var mark = tape.Mark();
            foreach (var b in blocks) x = tape.Layer(x, new Step(b), Step.Run);
            Assert.Equal(0, tape.Count);
            // each layer's internals are freed after it: only the layer outputs remain
            Assert.Equal(new ArenaMark(mark.Chunk, mark.Offset + Layers * Batch * Seq * Width), tape.Mark());
            return x.Span.ToArray();
        }
        Assert.Equal(Run(false), Run(true));
    }

    private readonly record struct InlineStep(float Scale)
    {
        public static readonly Func<Tape, Variable, InlineStep, Variable> Run =
            static (t, x, s) => Ops.Normalize(t, Ops.Scale(t, Ops.Activation(t, Ops.Add(t, x, x), ActivationKind.Tanh), s.Scale));
    }

    [Fact]
    public void AWarmInferencePassThroughLayersAllocatesNothing()
    {
        // Tape.Layer with a static lambda and a struct state builds no closure when the tape does not record, even with
        // Checkpointing on. (Ops whose kernels run inline: parallel kernels allocate their own delegates.)
        var tape = new Tape(recording: false) { Checkpointing = true };
        var input = Random(32, 2);
        float[] Pass()
        {
            tape.Reset();
            var x = tape.Constant(input, 4, 8);
            for (int layer = 0; layer < 3; layer++) x = tape.Layer(x, new InlineStep(0.5f + layer), InlineStep.Run);
            return x.Span.ToArray();
        }
        var warm = Pass();
        tape.Reset();
        var x0 = tape.Constant(input, 4, 8);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var x = x0;
        for (int layer = 0; layer < 3; layer++) x = tape.Layer(x, new InlineStep(0.5f + layer), InlineStep.Run);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(warm, x.Span.ToArray());
    }
}
