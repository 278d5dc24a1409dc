using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// Collects the token states each layer of a transformer puts out, as transformers' <c>output_hidden_states</c>
/// returns them less the first (the embeddings): <see cref="Layers"/>[i] is the output of layer i + 1 (1-based),
/// [B·T, C], before any final norm (ModernBERT's <c>final_norm</c>, a decoder's <c>norm</c> apply to the last output
/// only, as upstream's <c>last_hidden_state</c>). sentence-transformers' AdaptiveLayerLoss pools these.
/// </summary>
public sealed class HiddenStates
{
    private readonly List<Variable> layers = [];

    /// <summary>Each layer's output, in order.</summary>
    public IReadOnlyList<Variable> Layers => layers;

    /// <summary>Adds layer <see cref="Layers"/>.Count's output (padding rows as the pass leaves them).</summary>
    public void Add(Variable state) => layers.Add(state ?? throw new ArgumentNullException(nameof(state)));
}
