using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.MaskedLm;

/// <summary>
/// The masked-LM head of the BERT family, one computation under two key layouts: BertForMaskedLM's
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/models/bert/modeling_bert.py:
/// <c>BertPredictionHeadTransform</c> = dense [C, C] + GELU + LayerNorm under <c>cls.predictions.transform.*</c>, then a
/// decoder tied to the word embeddings plus <c>cls.predictions.bias</c> [V]) and, for model_type xlm-roberta / roberta,
/// XLMRobertaForMaskedLM's / RobertaForMaskedLM's
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/models/xlm_roberta/modeling_xlm_roberta.py:
/// <c>XLMRobertaLMHead</c> = <c>lm_head.dense</c> + GELU + <c>lm_head.layer_norm</c>, the tied decoder plus
/// <c>lm_head.bias</c>); BertModel's initialisation when the source has no head.
/// </summary>
public sealed class BertMaskedLmHead : MaskedLmHead
{
    /// <summary>Key prefix of BertForMaskedLM's head.</summary>
    public const string Prefix = "cls.predictions";

    /// <summary>Key prefix of (XLM-)RobertaForMaskedLM's head.</summary>
    public const string RobertaPrefix = "lm_head";

    private readonly Parameter dense, denseBias, lnWeight, lnBias, bias;
    private readonly float eps;

    /// <summary>The head over <paramref name="bert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public BertMaskedLmHead(string transformerPath, BertModel bert, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        ArgumentNullException.ThrowIfNull(bert);
        int c = bert.Config.HiddenSize, vocab = bert.Config.VocabSize;
        eps = bert.Config.LayerNormEps;
        Decoder = bert.WordEmbeddings;
        Layout = MaskedLmLayout.For(bert);
        bool roberta = Layout != MaskedLmLayout.Bert;
        // BERT: cls.predictions.{transform.{dense, LayerNorm}, bias}; RoBERTa: lm_head.{dense, layer_norm, bias}.
        string transformPrefix = roberta ? RobertaPrefix : Prefix + ".transform", norm = roberta ? "layer_norm" : "LayerNorm";
        var builder = Builder(transformerPath, Layout.EncoderPrefix, transformPrefix + ".dense.weight",
            BertModel.Initializer(bert.Config, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            var head = builder.Sub(roberta ? RobertaPrefix : Prefix);
            var transform = builder.Sub(transformPrefix);
            dense = transform.Tensor("dense.weight", c, c);
            denseBias = transform.Tensor("dense.bias", c);
            lnWeight = transform.Tensor(norm + ".weight", c);
            lnBias = transform.Tensor(norm + ".bias", c);
            bias = head.Tensor("bias", vocab);
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => field ??= [dense, denseBias, lnWeight, lnBias, bias];

    /// <inheritdoc />
    public override Parameter Decoder { get; }

    /// <inheritdoc />
    public override Parameter? DecoderBias => bias;

    /// <inheritdoc />
    public override MaskedLmLayout Layout { get; }

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        var h = Ops.Activation(tape, Ops.Linear(tape, hidden, dense, denseBias), ActivationKind.Gelu);
        return Ops.LayerNormalization(tape, h, lnWeight, lnBias, eps);
    }
}
