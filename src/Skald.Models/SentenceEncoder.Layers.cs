using Skald.Models.Architectures;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;

namespace Skald.Models;

public sealed partial class SentenceEncoder
{
    /// <summary>Transformer layers whose outputs <see cref="ForwardLayers"/> can pool: all but the last.</summary>
    public int PriorLayerCount => Math.Max(Transformer.Config.NumLayers - 1, 0);

    /// <summary>
    /// The chain over prepared texts, once per layer (sentence-transformers' AdaptiveLayerLoss): <c>Final</c> is what
    /// <see cref="Forward(Tape, ModelInputs, bool)"/> gives, and <c>Layers</c>[j] the same modules after the transformer
    /// (pooling, Dense, Normalize, a Router's query adapter) over the output of layer <paramref name="layers"/>[j] + 1
    /// (0-based indices below <see cref="PriorLayerCount"/>; the raw layer output, as transformers' hidden_states).
    /// All from one transformer pass on <paramref name="tape"/>. Dense models only (no SPLADE or CSR head).
    /// </summary>
    public (Variable Final, Variable[] Layers) ForwardLayers(Tape tape, ModelInputs inputs, IReadOnlyList<int> layers)
    {
        ThrowIfDisposed();
        if (IsSparse || StaticQuery is not null)
            throw new InvalidOperationException($"{Folder.Path}: per-layer embeddings are for dense models, not sparse encoders");
        if (TransformerFrozen) throw new InvalidOperationException($"{Folder.Path}: per-layer embeddings need a transformer that trains");
        foreach (int i in layers)
        {
            if ((uint)i >= (uint)PriorLayerCount)
                throw new ArgumentOutOfRangeException(nameof(layers), $"layer index {i} is not one of the model's {PriorLayerCount} prior layers");
        }
        var tokens = TokenBatch.Pad(inputs.Encodings, PadId, PaddingSide);
        int[]? embedMask = inputs.EmbedCounts is { } counts ? Llm2VecInputs.EmbedMask(tokens, counts) : null;
        var states = new HiddenStates();
        var hidden = Transformer.Forward(tape, tokens, states); // [B·T, C]
        var final = DenseHead(tape, hidden, tokens, inputs, embedMask);
        return (final, [.. layers.Select(i => DenseHead(tape, states.Layers[i], tokens, inputs, embedMask))]);
    }

    /// <summary>Pooling → Dense → Normalize (the folder's) → a query route's adapter: [B·T, C] → [B, D].</summary>
    private Variable DenseHead(Tape tape, Variable hidden, TokenBatch tokens, ModelInputs inputs, int[]? embedMask)
    {
        var y = Modules.Pooling.Forward(tape, hidden, tokens.Mask, tokens.Batch, tokens.Seq, Pooling, inputs.PromptLength, embedMask); // [B, k·C]
        foreach (var d in dense) y = d.Forward(tape, y);
        if (Folder.Normalize) y = Ops.Normalize(tape, y);
        if (inputs.Query)
        {
            foreach (var d in queryDense) y = d.Forward(tape, y);
        }
        return y;
    }
}
