using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// An architecture: maps a padded batch of token ids to contextual token states (HF <c>last_hidden_state</c>). The
/// same <see cref="Forward(Tape, TokenBatch)"/> serves inference (a tape that does not record) and training (a recording tape whose
/// <see cref="Tape.Dropout"/> and <see cref="Tape.Random"/> switch dropout on).
/// </summary>
public interface ITransformer
{
    /// <summary>The config it was built from.</summary>
    TransformerConfig Config { get; }

    /// <summary>Width of the token states (C).</summary>
    int HiddenSize { get; }

    /// <summary>The longest sequence its positions allow.</summary>
    int MaxSequenceLength { get; }

    /// <summary>Its parameters under their checkpoint keys (without the architecture's key prefix).</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Token states [B·T, C] for <paramref name="tokens"/> on <paramref name="tape"/>. On an inference tape that may
    /// skip the padding (<see cref="Ops.RunsUnpadded"/>: not recording, <see cref="Tape.DirectAttention"/>) only the
    /// real tokens are computed and the padding rows come back 0; otherwise the padding rows hold whatever the padded
    /// pass computes there (nothing pooling reads).
    /// </summary>
    Variable Forward(Tape tape, TokenBatch tokens);

    /// <summary>Whether <see cref="Forward(Tape, TokenBatch, HiddenStates?)"/> can report each layer's output.</summary>
    bool ReportsHiddenStates => false;

    /// <summary>
    /// <see cref="Forward(Tape, TokenBatch)"/>, with every layer's output added to <paramref name="hiddenStates"/>
    /// when given (sentence-transformers' AdaptiveLayerLoss). Architectures that do not say what their per-layer
    /// outputs are (upstream's custom <c>hidden_states</c>) refuse a collector.
    /// </summary>
    Variable Forward(Tape tape, TokenBatch tokens, HiddenStates? hiddenStates) => hiddenStates is null
        ? Forward(tape, tokens)
        : throw new NotSupportedException($"per-layer outputs of {Config.ModelType} models are not available yet (BERT, XLM-R, ModernBERT, NorBERT, Llama-family and Gemma models have them)");
}
