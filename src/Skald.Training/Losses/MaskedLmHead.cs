using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// The prediction head of a masked-LM model: a transform of the selected hidden rows ([m, C] → [m, C]) followed by a
/// decoder tied to the word embeddings (<see cref="Decoder"/> [V, C]) plus an optional bias [V]. Built from the source
/// checkpoint when it holds the head (continued pretraining), else initialised as transformers does.
/// </summary>
public abstract class MaskedLmHead
{
    /// <summary>The head's own parameters (not the tied decoder weight).</summary>
    public abstract IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The decoder weight [V, C]: the model's word-embedding table.</summary>
    public abstract Parameter Decoder { get; }

    /// <summary>The decoder bias [V] (null without one).</summary>
    public abstract Parameter? DecoderBias { get; }

    /// <summary>How the head and encoder are saved.</summary>
    public abstract MaskedLmLayout Layout { get; }

    /// <summary>The transform: hidden rows [m, C] → [m, C] on <paramref name="tape"/>.</summary>
    public abstract Variable Transform(Tape tape, Variable hidden);

    /// <summary>The head of <paramref name="model"/>'s architecture (BERT family or ModernBERT); new heads draw from <paramref name="seed"/>.</summary>
    public static MaskedLmHead For(TrainableEncoder model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Model.Transformer switch
        {
            BertModel bert when model.Config.ModelType == "bert" => new BertMaskedLmHead(model, bert, seed),
            ModernBert modern => new ModernBertMaskedLmHead(model, modern, seed),
            _ => throw new ArgumentException(
                $"loss.type mlm needs a BERT or ModernBERT model (model_type bert, modernbert); {model.Source.Path} is {model.Config.ModelType}"),
        };
    }

    /// <summary>The builder under which the head's keys are read: the source checkpoint when it holds <paramref name="probe"/>, else <paramref name="initializer"/>.</summary>
    private protected static ParameterBuilder Builder(TrainableEncoder model, string prefix, string probe, ParameterInitializer initializer,
        out IDisposable? weights)
    {
        var checkpoint = Checkpoint.OpenFolder(model.Source.TransformerPath, prefix);
        if (checkpoint.Contains(probe))
        {
            weights = checkpoint;
            return ParameterBuilder.FromCheckpoint(checkpoint);
        }
        checkpoint.Dispose();
        weights = null;
        return ParameterBuilder.FromInitializer(initializer);
    }
}
