using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.MaskedLm;

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

    /// <summary>Whether the output at position t predicts the token at t + 1 (GPT-BERT's shifted masked-LM), not at t.</summary>
    public virtual bool PredictsNextToken => false;

    /// <summary>n when the logits of ids 0..n−1 are −∞ (never predicted; such tokens are never targets).</summary>
    public virtual int ExcludedIds => 0;

    /// <summary>c when the logits are soft-capped as c·tanh(z/c) before the softmax (0: none).</summary>
    public virtual float SoftCap => 0f;

    /// <summary>Whether the head was read from the checkpoint (false: initialised, the source had none).</summary>
    public bool FromCheckpoint { get; private set; }

    /// <summary>The mask token's id when the tokenizer names none ([MASK] / &lt;mask&gt;), e.g. from config.json.</summary>
    public virtual int? MaskTokenId => null;

    /// <summary>
    /// The masked-LM head of <paramref name="transformer"/>'s architecture (BERT, XLM-R/RoBERTa, ModernBERT, DistilBERT,
    /// NorBERT3, NorBERT4, GTE), read from the checkpoint in <paramref name="transformerPath"/> when it holds one, else new from
    /// <paramref name="seed"/>; <paramref name="purpose"/> names what needs it in the error for other architectures.
    /// </summary>
    public static MaskedLmHead For(ITransformer transformer, string transformerPath, ulong seed, string purpose = "loss.type mlm")
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(transformerPath);
        return transformer switch
        {
            BertModel bert when transformer.Config.ModelType is "bert" or "xlm-roberta" or "roberta" => new BertMaskedLmHead(transformerPath, bert, seed),
            ModernBert modern => new ModernBertMaskedLmHead(transformerPath, modern, seed),
            Norbert norbert => new NorbertMaskedLmHead(transformerPath, norbert, seed),
            GptBert gptBert => new GptBertMaskedLmHead(transformerPath, gptBert, seed),
            DistilBert distilBert => new DistilBertMaskedLmHead(transformerPath, distilBert, seed),
            Gte gte => new GteMaskedLmHead(transformerPath, gte, seed),
            _ => throw new ArgumentException(
                $"{purpose} needs a BERT, XLM-R/RoBERTa, ModernBERT, DistilBERT, NorBERT3, NorBERT4 or GTE model (model_type bert, xlm-roberta, roberta, modernbert, distilbert, norbert, gptbert, gte); {transformerPath} is {transformer.Config.ModelType}"),
        };
    }

    /// <summary>The builder under which the head's keys are read: the source checkpoint when it holds <paramref name="probe"/>, else <paramref name="initializer"/>.</summary>
    private protected ParameterBuilder Builder(string transformerPath, string prefix, string probe, ParameterInitializer initializer,
        out IDisposable? weights)
    {
        var checkpoint = Checkpoint.OpenFolder(transformerPath, prefix);
        if (checkpoint.Contains(probe))
        {
            FromCheckpoint = true;
            weights = checkpoint;
            return ParameterBuilder.FromCheckpoint(checkpoint);
        }
        checkpoint.Dispose();
        weights = null;
        return ParameterBuilder.FromInitializer(initializer);
    }
}
