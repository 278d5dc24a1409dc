using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.MaskedLm;

/// <summary>
/// DistilBertForMaskedLM's head
/// (https://github.com/huggingface/transformers/blob/e368c1a8819d54720956961ea7cd47d99239bd39/src/transformers/models/distilbert/modeling_distilbert.py):
/// <c>vocab_layer_norm(activation(vocab_transform(x)))</c> with vocab_transform [C, C] + bias, the config's
/// <c>activation</c> (gelu / relu) and a LayerNorm of epsilon 1e-12; then <c>vocab_projector</c>, whose weight is tied to
/// the word embeddings, plus <c>vocab_projector.bias</c> [V]. Keys at the checkpoint's top level (the encoder under
/// <c>distilbert.</c>); DistilBERT's (BERT's) initialisation when the source has no head.
/// </summary>
public sealed class DistilBertMaskedLmHead : MaskedLmHead
{
    private readonly Parameter dense, denseBias, lnWeight, lnBias, bias;
    private readonly ActivationKind act;
    private readonly float eps;

    /// <summary>The head over <paramref name="distilBert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public DistilBertMaskedLmHead(string transformerPath, DistilBert distilBert, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        ArgumentNullException.ThrowIfNull(distilBert);
        var cfg = distilBert.Config;
        int c = cfg.HiddenSize;
        eps = cfg.LayerNormEps;
        act = ActivationNames.FromHiddenAct(cfg.HiddenAct, cfg.Source, "activation");
        Decoder = distilBert.WordEmbeddings;
        var builder = Builder(transformerPath, MaskedLmLayout.DistilBert.EncoderPrefix, "vocab_transform.weight",
            DistilBert.Initializer(cfg, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            dense = builder.Tensor("vocab_transform.weight", c, c);                   // [C, C]
            denseBias = builder.Tensor("vocab_transform.bias", c);                    // [C]
            lnWeight = builder.Tensor("vocab_layer_norm.weight", c);                  // [C]
            lnBias = builder.Tensor("vocab_layer_norm.bias", c);                      // [C]
            bias = builder.Tensor("vocab_projector.bias", cfg.VocabSize);             // [V]
        }
        Parameters = [dense, denseBias, lnWeight, lnBias, bias];
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public override Parameter Decoder { get; }

    /// <inheritdoc />
    public override Parameter? DecoderBias => bias;

    /// <inheritdoc />
    public override MaskedLmLayout Layout => MaskedLmLayout.DistilBert;

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        // vocab_layer_norm(act(hidden · Wtᵀ + bt))                                                       [m, C]
        var h = Ops.Activation(tape, Ops.Linear(tape, hidden, dense, denseBias), act);
        return Ops.LayerNormalization(tape, h, lnWeight, lnBias, eps);
    }
}
