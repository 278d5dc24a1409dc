using Skald.Models.Architectures;
using Skald.Tensors;

namespace Skald.Models.MaskedLm;

/// <summary>
/// ModernBertForMaskedLM's head
/// (https://github.com/huggingface/transformers/blob/000c33fdfde12e1ffafbfcdb3c926df5727a00b6/src/transformers/models/modernbert/modeling_modernbert.py:
/// <c>ModernBertPredictionHead</c> = norm(act(dense(x))) with dense [C, C] (bias with classifier_bias), act
/// classifier_activation, a LayerNorm with norm_bias; then <c>decoder</c> tied to embeddings.tok_embeddings plus
/// <c>decoder.bias</c> [V] with decoder_bias). Keys <c>head.dense.*</c>, <c>head.norm.*</c>, <c>decoder.bias</c> at the
/// checkpoint's top level (the encoder under <c>model.</c>); ModernBERT's initialisation when the source has no head
/// (dense truncated normal with the output std, norm 1, biases 0).
/// </summary>
public sealed class ModernBertMaskedLmHead : DenseNormMaskedLmHead
{
    /// <summary>The head over <paramref name="modernBert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public ModernBertMaskedLmHead(string transformerPath, ModernBert modernBert, ulong seed)
        : base(transformerPath, Checked(modernBert), MaskedLmLayout.ModernBert, KeysOf(modernBert.Config),
            ActivationNames.FromHiddenAct(modernBert.Config.ClassifierActivation, modernBert.Config.Source), modernBert.TokEmbeddings,
            ModernBert.Initializer(modernBert.Config, new SkaldRandom(seed)))
    {
    }

    private static DenseNormKeys KeysOf(TransformerConfig cfg) =>
        new("head.dense", "head.norm", cfg.DecoderBias ? "decoder.bias" : null, DenseBias: cfg.ClassifierBias, NormBias: cfg.NormBias);
}
