using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

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
public sealed class GteMaskedLmHead : MaskedLmHead
{
    private readonly Parameter dense, denseBias, lnWeight, lnBias, bias;
    private readonly ActivationKind act;
    private readonly float eps;

    /// <summary>The head over <paramref name="gte"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public GteMaskedLmHead(string transformerPath, Gte gte, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        ArgumentNullException.ThrowIfNull(gte);
        var cfg = gte.Config;
        if (!cfg.TieWordEmbeddings)
            throw new ModelFormatException($"{cfg.Source}: key \"tie_word_embeddings\" false is not supported for NewForMaskedLM (Skald ties lm_head.decoder.weight to the word embeddings)");
        int c = cfg.HiddenSize;
        eps = cfg.LayerNormEps;
        act = ActivationNames.FromHiddenAct(cfg.HiddenAct, cfg.Source);
        Decoder = gte.WordEmbeddings;
        var builder = Builder(transformerPath, MaskedLmLayout.Gte.EncoderPrefix, "lm_head.dense.weight",
            Gte.Initializer(cfg, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            dense = builder.Tensor("lm_head.dense.weight", c, c);               // [C, C]
            denseBias = builder.Tensor("lm_head.dense.bias", c);                // [C]
            lnWeight = builder.Tensor("lm_head.norm.weight", c);                // [C]
            lnBias = builder.Tensor("lm_head.norm.bias", c);                    // [C]
            bias = builder.Tensor("lm_head.decoder.bias", cfg.VocabSize);       // [V]
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
    public override MaskedLmLayout Layout => MaskedLmLayout.Gte;

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        // lm_head.norm(act(hidden · Wdᵀ + bd))                                                          [m, C]
        var h = Ops.Activation(tape, Ops.Linear(tape, hidden, dense, denseBias), act);
        return Ops.LayerNormalization(tape, h, lnWeight, lnBias, eps);
    }
}
