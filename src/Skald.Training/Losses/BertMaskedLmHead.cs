using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Training.Modeling;

namespace Skald.Training.Losses;

/// <summary>
/// BertForMaskedLM's head
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/models/bert/modeling_bert.py:
/// <c>BertPredictionHeadTransform</c> = dense [C, C] + GELU + LayerNorm, then a decoder tied to the word embeddings plus
/// a bias [V]), under <c>cls.predictions.*</c>; BertModel's initialisation when the source has no head.
/// </summary>
public sealed class BertMaskedLmHead : MaskedLmHead
{
    /// <summary>Key prefix of the head's parameters.</summary>
    public const string Prefix = "cls.predictions";

    private readonly Parameter dense, denseBias, lnWeight, lnBias, bias;
    private readonly float eps;

    /// <summary>The head over <paramref name="bert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public BertMaskedLmHead(TrainableEncoder model, BertModel bert, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bert);
        int c = model.Config.HiddenSize, vocab = model.Config.VocabSize;
        eps = model.Config.LayerNormEps;
        Decoder = bert.WordEmbeddings;
        var builder = Builder(model, "bert.", Prefix + ".transform.dense.weight",
            BertModel.Initializer(model.Config, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            var head = builder.Sub(Prefix);
            var transform = head.Sub("transform");
            dense = transform.Tensor("dense.weight", c, c);
            denseBias = transform.Tensor("dense.bias", c);
            lnWeight = transform.Tensor("LayerNorm.weight", c);
            lnBias = transform.Tensor("LayerNorm.bias", c);
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
    public override MaskedLmLayout Layout => MaskedLmLayout.Bert;

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        var h = Ops.Activation(tape, Ops.Linear(tape, hidden, dense, denseBias), ActivationKind.Gelu);
        return Ops.LayerNormalization(tape, h, lnWeight, lnBias, eps);
    }
}
