using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models;

/// <summary>The passes a <see cref="SentenceEncoder"/> runs for inference on its own tape, which does not record.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>For tests: the tape the inference passes run on (its <c>LayerStarting</c> hook).</summary>
    internal Tape InferenceTape => inference;

    /// <summary>For tests: Encode's batch loop (the tapes it keeps beside <see cref="InferenceTape"/>).</summary>
    internal InFlightBatches BatchLoop => batchLoop;

    /// <summary>For tests: the gate this model's passes take turns at (shared with the models sharing its weights).</summary>
    internal InferenceGate Gate => gate;

    /// <summary>
    /// Sets <paramref name="tape"/> (one that does not record) as this encoder's own inference tape is set: weight
    /// packing, int8 / bfloat16 products, the few-row GEMM bound, direct attention. A <see cref="Forward(Tape, ModelInputs, bool)"/>
    /// pass on it then takes Encode's kernel paths, so a caller running passes on its own tape (skald serve's batcher)
    /// gets Encode's bits. Called before each pass, it follows later changes (<see cref="PackWeights"/>, <see cref="QuantizeInt8"/>).
    /// </summary>
    internal void ConfigureInference(Tape tape) => InFlightBatches.CopySettings(inference, tape);

    /// <summary>
    /// One inference pass of <paramref name="inputs"/> on <paramref name="tape"/> (a caller's tape that does not record:
    /// skald serve's batcher), set as <see cref="ConfigureInference"/> sets it, reset first, and run under this encoder's
    /// gate, so it takes turns with <c>Encode</c>'s passes (a library call, a /v1/search query) on the same weights: a
    /// weight is packed, quantised or released to its packed or int8 form (all lazily, at its first pass) by one pass
    /// at a time. It waits in line: a long <c>Encode</c> lets it go before its next batch or round
    /// (<see cref="InferenceGate"/>). The result lives on <paramref name="tape"/> until its next reset.
    /// </summary>
    internal Variable InferOn(Tape tape, ModelInputs inputs, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        using (gate.Enter())
        {
            tape.Reset();
            ConfigureInference(tape);
            using (tape.Pass(cancellationToken)) return Forward(tape, inputs);
        }
    }

    /// <summary>
    /// The transformer's token states [B·T, C] for <paramref name="tokens"/> (inference, which skips the padding: its
    /// rows are 0), copied to <paramref name="hidden"/>.
    /// </summary>
    public void TokenStates(TokenBatch tokens, Span<float> hidden)
    {
        ThrowIfDisposed();
        using (gate.Enter())
        {
            ThrowIfDisposed(); // again under the lock (Dispose takes it)
            inference.Reset();
            Transformer.Forward(inference, tokens).Span.CopyTo(hidden);
            if (!AllFinite(hidden[..(tokens.Count * Transformer.HiddenSize)]))
                throw new ModelFormatException(
                    $"{Folder.Path}: the model gives non-finite token states (NaN or infinity); its weights or config.json are broken");
        }
    }
}
