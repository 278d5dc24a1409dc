using Skald.Models.Architectures;
using Skald.Tensors;

namespace Skald.Models.MaskedLm;

/// <summary>
/// GTE's NewForMaskedLM head, <c>NewLMPredictionHead</c> of new-impl's modeling.py
/// (https://huggingface.co/Alibaba-NLP/new-impl/blob/40ced75c3017eb27626c9d4ea981bde21a2662f4/modeling.py; the copy
/// read is stored file 16234270733): <c>lm_head.norm(act(lm_head.dense(x)))</c> with dense [C, C] + bias, the config's
/// hidden_act and a LayerNorm of epsilon layer_norm_eps (a LayerNorm whatever layer_norm_type the encoder uses); then
/// <c>lm_head.decoder</c>, whose weight is tied to the word embeddings (tie_word_embeddings, default true), plus
/// <c>lm_head.decoder.bias</c> [V]. Keys at the checkpoint's top level, the encoder under <c>new.</c>; NewModel's
/// initialisation (<see cref="Gte.Initializer"/>) when the source has no head.
/// </summary>
public sealed class GteMaskedLmHead : DenseNormMaskedLmHead
{
    private static readonly DenseNormKeys Keys = new("lm_head.dense", "lm_head.norm", "lm_head.decoder.bias");

    /// <summary>The head over <paramref name="gte"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public GteMaskedLmHead(string transformerPath, Gte gte, ulong seed)
        : base(transformerPath, Tied(Checked(gte)), MaskedLmLayout.Gte, Keys, ActivationNames.FromHiddenAct(gte.Config.HiddenAct, gte.Config.Source),
            gte.WordEmbeddings, Gte.Initializer(gte.Config, new SkaldRandom(seed)))
    {
    }

    /// <summary><paramref name="gte"/>, refused when its config unties the decoder from the word embeddings.</summary>
    private static Gte Tied(Gte gte) => gte.Config.TieWordEmbeddings ? gte
        : throw new ModelFormatException($"{gte.Config.Source}: key \"tie_word_embeddings\" false is not supported for NewForMaskedLM (Skald ties lm_head.decoder.weight to the word embeddings)");
}
