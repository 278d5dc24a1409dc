using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.MaskedLm;

/// <summary>
/// GptBertForMaskedLM's head (NorBERT4 / GPT-BERT), from
/// https://github.com/ltgoslo/NorBERT/blob/92800a5b8141120eabecbe01329acb2be7d99032/norbert4/huggingface_prototype/modeling_gptbert.py
/// (<c>LMClassifier</c>): affine-free pre_norm → projection (CastedLinearIn [C, C], no bias: input gain 1 + s) →
/// gelu_new → affine-free post_norm → emb2vocab (CastedLinearIn C → V with bias [V]; its weight tied to
/// <c>embedding.word_embedding.weight</c>, as upstream's pretraining Classifier and <c>_tied_weights_keys</c> have it), then
/// logits = 30·sigmoid(z / 7.5). The input gains are the gains of the norms before each projection
/// (<see cref="Ops.ScaledLayerNorm"/>, as in <see cref="GptBert"/>). 30·sigmoid(z / 7.5) = 15 + 15·tanh(z / 15), and a
/// softmax does not see the constant, so the bound is the cross-entropy's soft cap 15 (<see cref="SoftCap"/>): same loss
/// and gradients, no new op. The class's loss is shifted (<see cref="PredictsNextToken"/>):
/// cross_entropy(logits[:, :−1], labels[:, 1:]), the output at t − 1 predicting the masked token at t, as in upstream's
/// pretraining (norbert4/dataset.py at the same commit: inputs ids[:−1], targets masked[1:]). That pretraining masks spans of
/// 1–3 tokens with a scheduled rate; Skald keeps the loss's DataCollatorForLanguageModeling masking (mask_probability).
/// Keys <c>classifier.{projection.weight, projection.scale, emb2vocab.bias, emb2vocab.scale}</c> at the top level; a stored
/// <c>classifier.emb2vocab.weight</c> equal to the word embeddings is the tied copy (saved again as a copy), one that
/// differs is a decoder of its own (trained and saved). A folder without the head gets
/// <see cref="GptBert.Initializer"/>'s values (GptBertPreTrainedModel._init_weights: projection trunc_normal, bias 0,
/// scales 1). The mask token is the tokenizer's [MASK], else config.json's <c>mask_token_id</c>.
/// </summary>
public sealed class GptBertMaskedLmHead : MaskedLmHead
{
    private readonly Parameter projection, projectionScale, bias, decoderScale;
    private readonly float eps;

    /// <summary>The head over <paramref name="gptBert"/> (the source folder's when present, else new from <paramref name="seed"/>).</summary>
    public GptBertMaskedLmHead(string transformerPath, GptBert gptBert, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(transformerPath);
        ArgumentNullException.ThrowIfNull(gptBert);
        var cfg = gptBert.Config;
        int c = cfg.HiddenSize, vocab = cfg.VocabSize;
        eps = cfg.LayerNormEps;
        var word = gptBert.Parameters.Single(p => p.Name == MaskedLmLayout.GptBert.TiedTo);
        Decoder = word;
        var builder = Builder(transformerPath, "", "classifier.projection.weight", GptBert.Initializer(cfg, new SkaldRandom(seed)), out var weights);
        using (weights)
        {
            var head = builder.Sub("classifier");
            projection = head.Tensor("projection.weight", c, c);   // [C, C]
            projectionScale = head.Tensor("projection.scale", c);  // [C]
            bias = head.Tensor("emb2vocab.bias", vocab);           // [V]
            decoderScale = head.Tensor("emb2vocab.scale", c);      // [C]
            if (weights is Skald.Models.Checkpoints.Checkpoint checkpoint && checkpoint.Contains(MaskedLmLayout.GptBert.TiedDecoder))
            {
                var stored = checkpoint.Read(MaskedLmLayout.GptBert.TiedDecoder, [vocab, c]);
                if (!stored.AsSpan().SequenceEqual(word.Data.Span)) Decoder = head.Tensor("emb2vocab.weight", vocab, c); // untied
            }
        }
        Parameters = Decoder == word ? [projection, projectionScale, bias, decoderScale] : [projection, projectionScale, bias, decoderScale, Decoder];
        MaskTokenId = ReadMaskTokenId(Path.Combine(transformerPath, "config.json"));
    }

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public override Parameter Decoder { get; }

    /// <inheritdoc />
    public override Parameter? DecoderBias => bias;

    /// <inheritdoc />
    public override MaskedLmLayout Layout => MaskedLmLayout.GptBert;

    /// <inheritdoc />
    public override bool PredictsNextToken => true;

    /// <inheritdoc />
    public override float SoftCap => 15f;

    /// <inheritdoc />
    public override int? MaskTokenId { get; }

    /// <inheritdoc />
    public override Variable Transform(Tape tape, Variable hidden)
    {
        var h = Ops.ScaledLayerNorm(tape, hidden, hidden.Cols, eps, projectionScale);   // [m, C]
        h = Ops.Activation(tape, Ops.Linear(tape, h, projection, null), ActivationKind.GeluTanh);
        return Ops.ScaledLayerNorm(tape, h, h.Cols, eps, decoderScale);               // ·Wᵀ + b in the cross-entropy
    }

    private static int? ReadMaskTokenId(string configPath)
    {
        using var doc = Modules.JsonFiles.Read(configPath);
        return doc.RootElement.TryGetProperty("mask_token_id", out var id) && id.ValueKind == JsonValueKind.Number ? id.GetInt32() : null;
    }
}
