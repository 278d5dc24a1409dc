using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// One layer of a transformer's stack, the way every architecture runs it (encoders through
/// <see cref="EncoderModel"/>, decoders through <see cref="DecoderModel"/>'s derived classes).
/// </summary>
internal static class LayerStack
{
    /// <summary>
    /// Layer <paramref name="run"/> on <paramref name="x"/> through <see cref="Tape.Layer{TState}"/> (kept, or
    /// checkpointed), its output [B·T, C] added to <paramref name="hiddenStates"/> when collected. An inference pass
    /// frees x and puts the output in its place (inputDies) unless the states are collected (x is one of them) or the
    /// caller says <paramref name="inputLives"/> (it reads x after the layer: GPT-BERT's layer 0, whose input is the
    /// embeddings every layer mixes in). A KV cache keeps its own copies of the keys and values, not x.
    /// </summary>
    public static Variable Next<TStep>(Tape tape, Variable x, TStep step, Func<Tape, Variable, TStep, Variable> run,
        BatchRows rows, HiddenStates? hiddenStates, bool inputLives = false)
    {
        x = tape.Layer(x, step, run, inputDies: hiddenStates is null && !inputLives);
        hiddenStates?.Add(rows.Restore(tape, x));
        return x;
    }
}
