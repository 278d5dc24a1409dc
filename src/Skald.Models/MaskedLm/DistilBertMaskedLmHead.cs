using Skald.Models.Architectures;
using Skald.Tensors;

namespace Skald.Models.MaskedLm;

/// <summary>
/// DistilBertForMaskedLM's head
/// (https://github.com/huggingface/transformers/blob/e368c1a8819d54720956961ea7cd47d99239bd39/src/transformers/models/distilbert/modeling_distilbert.py):
/// <c>vocab_layer_norm(activation(vocab_transform(x)))</c> with vocab_transform [C, C] + bias, the config's
/// <c>activation</c> (gelu / relu) and a LayerNorm of epsilon 1e-12; then <c>vocab_projector</c>, whose weight is tied to
/// the word embeddings, plus <c>vocab_projector.bias</c> [V]. Keys at the checkpoint's top level (the encoder under
/// <c>distilbert.</c>); DistilBERT's (BERT's) initialisation when the source has no head.
/// </summary>
public sealed class DistilBertMaskedLmHead : DenseNormMaskedLmHead
{
    private static readonly DenseNormKeys Keys = new("vocab_transform", "vocab_layer_norm", "vocab_projector.bias");

    /// <summary>The head over <paramref name="distilBert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public DistilBertMaskedLmHead(string transformerPath, DistilBert distilBert, ulong seed)
        : base(transformerPath, Checked(distilBert), MaskedLmLayout.DistilBert, Keys,
            ActivationNames.FromHiddenAct(distilBert.Config.HiddenAct, distilBert.Config.Source, "activation"), distilBert.WordEmbeddings,
            DistilBert.Initializer(distilBert.Config, new SkaldRandom(seed)))
    {
    }
}
