using Skald.Models.Checkpoints;
using Skald.Models.Generation;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// What every decoder (<see cref="Llama"/>, <see cref="Gemma"/>, <see cref="Gpt2"/>) holds the same way: its config,
/// token table, LM head and parameter list, the attention mode, and the three forward entry points, which all reach one
/// <see cref="Run"/> (plain, a generation step with a cache, or reporting each layer's output). The architecture file
/// keeps everything that differs: its layers, norms, positions and <see cref="Run"/>.
/// </summary>
public abstract class DecoderModel : IDecoder
{
    /// <summary>Starts a decoder with its token table; the derived constructor builds the rest, then calls <see cref="Complete"/>.</summary>
    private protected DecoderModel(TransformerConfig config, Parameter embedTokens)
    {
        Config = config;
        EmbedTokens = embedTokens;
    }

    /// <inheritdoc />
    public TransformerConfig Config { get; }

    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public int MaxSequenceLength => Config.MaxPositionEmbeddings;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; private set; } = [];

    /// <inheritdoc />
    public AttentionMode AttentionMode { get; set; } = AttentionMode.Causal;

    /// <inheritdoc />
    public Parameter EmbedTokens { get; }  // embed_tokens.weight / wte.weight: [V, C]

    /// <inheritdoc />
    public LmHead? LmHead { get; private set; } // lm_head.weight: [V, C], or tied to EmbedTokens

    /// <inheritdoc />
    public bool ReportsHiddenStates => true;

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens) => Run(tape, tokens, null, null);

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens, KvCache? cache) => Run(tape, tokens, cache, null);

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens, HiddenStates? hiddenStates) => Run(tape, tokens, null, hiddenStates);

    /// <summary>
    /// Called last by the derived constructor, once every layer is built: the LM head (tied or <c>lm_head.weight</c>,
    /// the last key) and the parameter list in the order they were built.
    /// </summary>
    private protected void Complete(ParameterBuilder p)
    {
        LmHead = LmHead.Build(Config, p, EmbedTokens);
        Parameters = [.. p.Parameters];
    }

    /// <summary>
    /// The forward pass: token states [B·T, C] after the final norm; with <paramref name="cache"/> a generation step over
    /// the new tokens only; with <paramref name="hiddenStates"/> each layer's output (before the final norm) added to it.
    /// </summary>
    private protected abstract Variable Run(Tape tape, TokenBatch tokens, KvCache? cache, HiddenStates? hiddenStates);
}
