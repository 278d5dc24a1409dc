using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models;

/// <summary>One inference pass that hands a caller the token states beside the embeddings (BGE-M3's extra heads read both).</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Runs the dense chain over one prepared batch (<see cref="Prepare"/>, padded on <see cref="PaddingSide"/>) on this
    /// model's inference tape, under its lock, and calls <paramref name="read"/> with the tape, the padded batch, the
    /// transformer's token states [B·T, C] and the embeddings [B, <see cref="Dimension"/>] (the folder's pooling, Dense
    /// and Normalize) before the pass ends: what it computes on the tape is gone after it returns. The embeddings are
    /// checked finite first (<paramref name="textIndex"/>[i]: the text row i came from, for the message). Dense models only.
    /// </summary>
    internal void InferStates(ModelInputs batch, ReadOnlySpan<int> textIndex, Action<Tape, TokenBatch, Variable, Variable> read,
        CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (IsSparse || StaticQuery is not null || queryDense.Length > 0)
            throw new InvalidOperationException($"{Folder.Path}: token states beside the embeddings are for plain dense models");
        using (gate.Enter())
        {
            using (inference.Pass(cancellationToken))
            {
                var tokens = TokenBatch.Pad(batch.Encodings, PadId, PaddingSide);
                int[]? embedMask = batch.EmbedCounts is { } counts ? Modules.Llm2VecInputs.EmbedMask(tokens, counts) : null;
                var hidden = TransformerForward(inference, tokens); // [B·T, C]
                var y = DenseHead(inference, hidden, tokens, batch, embedMask);
                CheckFinite(y.Span, y.Cols, textIndex);
                read(inference, tokens, hidden, y);
            }
        }
    }

    /// <summary>
    /// The training twin of <see cref="InferStates"/>: the dense chain over one prepared batch on <paramref name="tape"/>
    /// (recording or not, the transformer left out of the recording when <see cref="TransformerFrozen"/>), returning the
    /// padded batch, the transformer's token states [B·T, C] and the embeddings [B, <see cref="Dimension"/>], so that a
    /// loss can run heads of its own over the token states on the same tape (BGE-M3's lexical and ColBERT heads).
    /// Dense models only.
    /// </summary>
    public (TokenBatch Tokens, Variable Hidden, Variable Embeddings) ForwardStates(Tape tape, ModelInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(inputs);
        ThrowIfDisposed();
        if (IsSparse || StaticQuery is not null || queryDense.Length > 0)
            throw new InvalidOperationException($"{Folder.Path}: token states beside the embeddings are for plain dense models");
        var tokens = TokenBatch.Pad(inputs.Encodings, PadId, PaddingSide);
        int[]? embedMask = inputs.EmbedCounts is { } counts ? Modules.Llm2VecInputs.EmbedMask(tokens, counts) : null;
        var hidden = TransformerForward(tape, tokens); // [B·T, C]
        return (tokens, hidden, DenseHead(tape, hidden, tokens, inputs, embedMask));
    }
}
