using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;

namespace Skald.Models.Architectures;

/// <summary>
/// What every encoder (<see cref="BertModel"/> and through it XLM-R, <see cref="ModernBert"/>, <see cref="DistilBert"/>,
/// <see cref="Norbert"/>, <see cref="GptBert"/>, <see cref="Gte"/>) holds the same way: its config and parameter list, the check of the
/// sequence length against its positions, how the batch's rows run (<see cref="BatchRows"/>: unpadded in inference,
/// padded with the key mask otherwise) and are put back to [B·T, C], and the collection of each layer's output. The
/// architecture file keeps everything that differs: its embeddings, layers, final norm and <see cref="Run"/>.
/// </summary>
public abstract class EncoderModel : ITransformer
{
    /// <summary>
    /// Starts an encoder; the derived constructor builds its parameters, then calls <see cref="Complete"/>.
    /// <paramref name="maxSequenceLength"/> defaults to the config's max_position_embeddings.
    /// </summary>
    private protected EncoderModel(TransformerConfig config, int? maxSequenceLength = null)
    {
        Config = config;
        MaxSequenceLength = maxSequenceLength ?? config.MaxPositionEmbeddings;
    }

    /// <inheritdoc />
    public TransformerConfig Config { get; }

    /// <inheritdoc />
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public int MaxSequenceLength { get; }

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; private set; } = [];

    /// <inheritdoc />
    public bool ReportsHiddenStates => true;

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens) => Forward(tape, tokens, null);

    /// <inheritdoc />
    public Variable Forward(Tape tape, TokenBatch tokens, HiddenStates? hiddenStates)
    {
        CheckLength(tokens);
        // Inference skips the padding (BatchRows): the real tokens run back to back [N, C] through every layer, each
        // sequence attending to its own tokens (what the key mask leaves of the padded batch), and are put back into
        // [B·T, C] at the end, the padding rows 0.
        var rows = BatchRows.For(tape, tokens);
        return rows.Restore(tape, Run(tape, tokens, rows, hiddenStates));
    }

    /// <summary>Refuses a batch longer than the model's positions.</summary>
    private protected void CheckLength(TokenBatch tokens)
    {
        if (tokens.Seq > MaxSequenceLength)
            throw new ArgumentException($"sequence length {tokens.Seq} exceeds the model's {MaxSequenceLength} positions");
    }

    /// <summary>Called last by the derived constructor: the parameter list in the order they were built.</summary>
    private protected void Complete(ParameterBuilder p) => Parameters = [.. p.Parameters];

    /// <summary>
    /// The forward pass over the running rows of <paramref name="rows"/> ([B·T, C] padded, [N, C] unpadded): the
    /// states that become <c>last_hidden_state</c>, each layer's output added to <paramref name="hiddenStates"/> on
    /// the way (through <see cref="Layer"/>).
    /// </summary>
    private protected abstract Variable Run(Tape tape, TokenBatch tokens, BatchRows rows, HiddenStates? hiddenStates);

    /// <summary>One layer (<see cref="LayerStack.Next"/>): its output [B·T, C] added to <paramref name="hiddenStates"/> when collected.</summary>
    private protected static Variable Layer<TStep>(Tape tape, Variable x, TStep step, Func<Tape, Variable, TStep, Variable> run,
        BatchRows rows, HiddenStates? hiddenStates, bool inputLives = false) =>
        LayerStack.Next(tape, x, step, run, rows, hiddenStates, inputLives);
}
