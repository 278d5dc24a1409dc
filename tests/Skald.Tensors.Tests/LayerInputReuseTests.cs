using Skald.Tensors.Autograd;
using Skald.Tensors.Memory;

namespace Skald.Tensors.Tests;

/// <summary>
/// <see cref="Tape.Layer{TState}"/> with its input freed (inputDies): an inference pass through a deep stack holds one
/// hidden state between layers, wherever the stack ends, and computes what a stack that keeps every input computes.
/// </summary>
public sealed class LayerInputReuseTests
{
    private const int Rows = 4, Cols = 8, Depth = 40, ChunkFloats = 1024;

    // y = x + 1 through a scratch block of x's size (a layer's own activation).
    private static Variable AddOne(Tape tape, Variable x, int _)
    {
        var scratch = tape.NewVariable(x.Rows, x.Cols);
        var y = tape.NewVariable(x.Rows, x.Cols);
        for (int i = 0; i < x.Length; i++)
        {
            scratch.Span[i] = x.Span[i] + 0.5f;
            y.Span[i] = scratch.Span[i] + 0.5f;
        }
        return y;
    }

    private static (float[] Output, long Capacity) Stack(bool inputDies)
    {
        var tape = new Tape(new ChunkArena(ChunkFloats), recording: false);
        var x = tape.Constant(Enumerable.Range(0, Rows * Cols).Select(i => i * 0.25f).ToArray(), Rows, Cols);
        for (int layer = 0; layer < Depth; layer++) x = tape.Layer(x, 0, AddOne, inputDies);
        return (x.Span.ToArray(), tape.Arena.CapacityFloats);
    }

    [Fact]
    public void ADeepStackThatFreesItsInputsStaysInOneChunk()
    {
        var (output, capacity) = Stack(inputDies: true);
        Assert.Equal(ChunkFloats, capacity); // input, scratch, output: 96 floats at most, however deep
        for (int i = 0; i < output.Length; i++) Assert.Equal(i * 0.25f + Depth, output[i]);
    }

    [Fact]
    public void KeepingEveryInputCreepsOneStateALayer()
    {
        // The other way (a caller that reads a layer's input afterwards): each output after its input, 32 floats a
        // layer, 40 layers past one chunk; the same values.
        var (kept, capacity) = Stack(inputDies: false);
        Assert.True(capacity > ChunkFloats, $"capacity {capacity}");
        Assert.Equal(Stack(inputDies: true).Output, kept);
    }
}
