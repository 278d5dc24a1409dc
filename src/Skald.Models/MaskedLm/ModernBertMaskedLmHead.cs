using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

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
public sealed class ModernBertMaskedLmHead : MaskedLmHead
{
    private readonly Parameter dense, norm;
    private readonly Parameter? denseBias, normBias, bias;
    private readonly ActivationKind act;
    private readonly float eps;

    /// <summary>The head over <paramref name="modernBert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public ModernBertMaskedLmHead(string transformerPath, ModernBert modernBert, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        ArgumentNullException.ThrowIfNull(modernBert);
        var cfg = modernBert.Config;
        int c = cfg.HiddenSize;
        eps = cfg.LayerNormEps;
        act = ActivationNames.FromHiddenAct(cfg.ClassifierActivation, cfg.Source);
        Decoder = modernBert.TokEmbeddings;
        var builder = Builder(transformerPath, "model.", "head.dense.weight", ModernBert.Initializer(cfg, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            var head = builder.Sub("head");
            dense = head.Tensor("dense.weight", c, c);
            denseBias = cfg.ClassifierBias ? head.Tensor("dense.bias", c) : null;
            norm = head.Tensor("norm.weight", c);
            normBias = cfg.NormBias ? head.Tensor("norm.bias", c) : null;
            bias = cfg.DecoderBias ? builder.Tensor("decoder.bias", cfg.VocabSize) : null;
        }
        Parameters = [.. new[] { dense, denseBias, norm, normBias, bias }.OfType<Parameter>()];
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public override Parameter Decoder { get; }

    /// <inheritdoc />
    public override Parameter? DecoderBias => bias;

    /// <inheritdoc />
    public override MaskedLmLayout Layout => MaskedLmLayout.ModernBert;

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        var h = Ops.Activation(tape, Ops.Linear(tape, hidden, dense, denseBias), act);
        return Ops.LayerNormalization(tape, h, norm, normBias, eps);
    }
}
