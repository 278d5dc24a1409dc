using Skald.Models.Architectures;

namespace Skald.Models.MaskedLm;

/// <summary>
/// How transformers' <c>*ForMaskedLM</c> lays out a checkpoint with its head, for saving a masked-LM run: the encoder's
/// keys under <see cref="EncoderPrefix"/>, the head's keys (those starting with one of <see cref="HeadPrefixes"/>) at the
/// top level, the decoder weight tied to the word embeddings and left out (<see cref="TiedDecoder"/>) or, with
/// <see cref="TiedTo"/>, written as a copy of that parameter; config.json's <c>architectures</c> set to <see cref="Architecture"/>.
/// </summary>
/// <param name="EncoderPrefix">"bert." (BertForMaskedLM), "model." (ModernBertForMaskedLM), "distilbert." (DistilBertForMaskedLM), "new." (GTE's NewForMaskedLM) or "" (NorBERT3/4's classes).</param>
/// <param name="Architecture">The class name written to config.json's architectures.</param>
/// <param name="HeadPrefixes">Key prefixes of the head's parameters.</param>
/// <param name="TiedDecoder">Key prefix of the tied decoder weight, not taken from the source.</param>
/// <param name="TiedTo">When set, the tied decoder is written as a copy of this parameter (its checkpoint key).</param>
public sealed record MaskedLmLayout(string EncoderPrefix, string Architecture, IReadOnlyList<string> HeadPrefixes, string TiedDecoder,
    string? TiedTo = null)
{
    /// <summary>BertForMaskedLM: <c>bert.*</c>, <c>cls.predictions.{transform.*, bias}</c>.</summary>
    public static MaskedLmLayout Bert { get; } = new("bert.", "BertForMaskedLM", ["cls."], "cls.predictions.decoder");

    /// <summary>
    /// XLMRobertaForMaskedLM: <c>roberta.*</c>, <c>lm_head.{dense, layer_norm}.*</c>, <c>lm_head.bias</c>; the decoder's
    /// weight and bias are tied (to the word embeddings and to <c>lm_head.bias</c>) and left out.
    /// </summary>
    public static MaskedLmLayout XlmRoberta { get; } = new("roberta.", "XLMRobertaForMaskedLM", ["lm_head."], "lm_head.decoder");

    /// <summary>RobertaForMaskedLM: as <see cref="XlmRoberta"/>.</summary>
    public static MaskedLmLayout Roberta { get; } = XlmRoberta with { Architecture = "RobertaForMaskedLM" };

    /// <summary>ModernBertForMaskedLM: <c>model.*</c>, <c>head.{dense, norm}.*</c>, <c>decoder.bias</c>.</summary>
    public static MaskedLmLayout ModernBert { get; } = new("model.", "ModernBertForMaskedLM", ["head.", "decoder."], "decoder.weight");

    /// <summary>
    /// DistilBertForMaskedLM: <c>distilbert.*</c>, <c>vocab_transform.*</c>, <c>vocab_layer_norm.*</c>,
    /// <c>vocab_projector.bias</c>; the projector's weight is tied to the word embeddings and left out.
    /// </summary>
    public static MaskedLmLayout DistilBert { get; } = new("distilbert.", "DistilBertForMaskedLM",
        ["vocab_transform.", "vocab_layer_norm.", "vocab_projector."], "vocab_projector.weight");

    /// <summary>
    /// GTE's NewForMaskedLM (new-impl): <c>new.*</c>, <c>lm_head.{dense, norm}.*</c>, <c>lm_head.decoder.bias</c>; the
    /// decoder's weight is tied to the word embeddings and left out. Saving also names the class under config.json's
    /// <c>auto_map.AutoModelForMaskedLM</c> when the source's auto_map lacks it.
    /// </summary>
    public static MaskedLmLayout Gte { get; } = new("new.", "NewForMaskedLM", ["lm_head."], "lm_head.decoder.weight");

    /// <summary>NorbertForMaskedLM: the encoder's keys as they are, <c>classifier.nonlinearity.{1.*, 5.bias}</c>.</summary>
    public static MaskedLmLayout Norbert { get; } = new("", "NorbertForMaskedLM", ["classifier."], "classifier.nonlinearity.5.weight");

    /// <summary>
    /// GptBertForMaskedLM: the encoder's keys as they are, <c>classifier.{projection, emb2vocab}.*</c>; the tied
    /// <c>classifier.emb2vocab.weight</c> is written as a copy of the word embeddings, as the published checkpoints hold
    /// it (transformers does not re-tie it on load: the class's output embedding is a tensor, not a module).
    /// </summary>
    public static MaskedLmLayout GptBert { get; } =
        new("", "GptBertForMaskedLM", ["classifier."], "classifier.emb2vocab.weight", "embedding.word_embedding.weight");

    /// <summary>The layout of <paramref name="transformer"/>'s masked-LM model.</summary>
    public static MaskedLmLayout For(ITransformer transformer) => transformer switch
    {
        Skald.Models.Architectures.ModernBert => ModernBert,
        Skald.Models.Architectures.Norbert => Norbert,
        Skald.Models.Architectures.GptBert => GptBert,
        Skald.Models.Architectures.DistilBert => DistilBert,
        Skald.Models.Architectures.Gte => Gte,
        BertModel { Config.ModelType: "xlm-roberta" } => XlmRoberta,
        BertModel { Config.ModelType: "roberta" } => Roberta,
        _ => Bert,
    };

    /// <summary>Whether <paramref name="key"/> is one of the head's keys (kept at the top level).</summary>
    public bool IsHeadKey(string key) => HeadPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}
