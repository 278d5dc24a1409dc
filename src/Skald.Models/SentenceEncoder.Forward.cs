using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;

namespace Skald.Models;

// SentenceEncoder, continued: the chain itself on a tape (transformer → pooling → dense → normalize), defined once.
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The chain over prepared texts (<see cref="Prepare"/>) on <paramref name="tape"/>: padded on
    /// <see cref="PaddingSide"/>, the prompt and (LLM2Vec) instruction left out of pooling as the inputs say. Inputs on
    /// a Router folder's query route (<see cref="ModelInputs.Query"/>) then run the query adapter (<see cref="QueryDense"/>);
    /// <paramref name="normalize"/> normalises what comes out last.
    /// </summary>
    public Variable Forward(Tape tape, ModelInputs inputs, bool normalize = false)
    {
        ThrowIfDisposed();
        if (inputs.Query && StaticQuery is { } staticQuery)
        {
            var weights = Ops.SparseStatic(tape, [.. inputs.Encodings.Select(e => e.Ids)], staticQuery.Weight); // [B, V]: no transformer on this route
            return normalize ? Ops.Normalize(tape, weights) : weights;
        }
        var tokens = TokenBatch.Pad(inputs.Encodings, PadId, PaddingSide);
        int[]? embedMask = inputs.EmbedCounts is { } counts ? Llm2VecInputs.EmbedMask(tokens, counts) : null;
        bool adapt = inputs.Query && queryDense.Length > 0;
        var y = Forward(tape, tokens, inputs.PromptLength, normalize && !adapt, embedMask, inputs.MaxActiveDims);
        if (!adapt) return y;
        foreach (var d in queryDense) y = d.Forward(tape, y);
        return normalize ? Ops.Normalize(tape, y) : y;
    }

    /// <summary>
    /// The whole chain over one padded batch on <paramref name="tape"/>: transformer → pooling → dense → normalize
    /// (when the folder has a Normalize module or <paramref name="normalize"/>): embeddings [B, <see cref="Dimension"/>].
    /// The first <paramref name="promptLength"/> real tokens are left out of pooling when the Pooling module says
    /// include_prompt = false; with <paramref name="embedMask"/> [B, T] only the tokens it marks are pooled (LLM2Vec's
    /// instruction exclusion, <see cref="Llm2VecInputs.EmbedMask"/>).
    /// </summary>
    public Variable Forward(Tape tape, TokenBatch tokens, int promptLength = 0, bool normalize = false, int[]? embedMask = null,
        int? maxActiveDims = null)
    {
        ThrowIfDisposed();
        if (LateInteraction is not null) throw new ModelFormatException(Models.LateInteraction.ColbertEncoder.NotASentenceEmbedder(Folder.Path));
        var hidden = TransformerForward(tape, tokens); // [B·T, C]
        if (SpladeHead is not null)
        {
            var sparse = SpladeForward(tape, hidden, tokens); // [B, V]
            return Folder.Normalize || normalize ? Ops.Normalize(tape, sparse) : sparse;
        }
        var y = Modules.Pooling.Forward(tape, hidden, tokens.Mask, tokens.Batch, tokens.Seq, Pooling, promptLength, embedMask); // [B, k·C]
        foreach (var d in dense) y = d.Forward(tape, y);
        if (AutoEncoder is { } autoEncoder) // CSR: the dense chain (its Normalize included), then the sparse code [B, H]
        {
            y = autoEncoder.Forward(tape, Folder.Normalize ? Ops.Normalize(tape, y) : y, maxActiveDims);
            return normalize ? Ops.Normalize(tape, y) : y;
        }
        return Folder.Normalize || normalize ? Ops.Normalize(tape, y) : y;
    }
}
