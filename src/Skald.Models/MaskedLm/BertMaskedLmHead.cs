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
public sealed class BertMaskedLmHead : DenseNormMaskedLmHead
{
    /// <summary>Key prefix of BertForMaskedLM's head.</summary>
    public const string Prefix = "cls.predictions";

    /// <summary>Key prefix of (XLM-)RobertaForMaskedLM's head.</summary>
    public const string RobertaPrefix = "lm_head";

    private static readonly DenseNormKeys BertKeys = new(Prefix + ".transform.dense", Prefix + ".transform.LayerNorm", Prefix + ".bias");
    private static readonly DenseNormKeys RobertaKeys = new(RobertaPrefix + ".dense", RobertaPrefix + ".layer_norm", RobertaPrefix + ".bias");

    /// <summary>The head over <paramref name="bert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public BertMaskedLmHead(string transformerPath, BertModel bert, ulong seed)
        : base(transformerPath, Checked(bert), MaskedLmLayout.For(bert), MaskedLmLayout.For(bert) == MaskedLmLayout.Bert ? BertKeys : RobertaKeys,
            ActivationKind.Gelu, bert.WordEmbeddings, BertModel.Initializer(bert.Config, new SkaldRandom(seed)))
    {
    }
}
