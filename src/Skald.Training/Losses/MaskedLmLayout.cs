using Skald.Models.Architectures;

namespace Skald.Training.Losses;

/// <summary>
/// How transformers' <c>*ForMaskedLM</c> lays out a checkpoint with its head, for saving a masked-LM run: the encoder's
/// keys under <see cref="EncoderPrefix"/>, the head's keys (those starting with one of <see cref="HeadPrefixes"/>) at the
/// top level, the decoder weight tied to the word embeddings and left out (<see cref="TiedDecoder"/>), config.json's
/// <c>architectures</c> set to <see cref="Architecture"/>.
/// </summary>
/// <param name="EncoderPrefix">"bert." (BertForMaskedLM) or "model." (ModernBertForMaskedLM).</param>
/// <param name="Architecture">The class name written to config.json's architectures.</param>
/// <param name="HeadPrefixes">Key prefixes of the head's parameters.</param>
/// <param name="TiedDecoder">Key prefix of the tied decoder weight, never written.</param>
public sealed record MaskedLmLayout(string EncoderPrefix, string Architecture, IReadOnlyList<string> HeadPrefixes, string TiedDecoder)
{
    /// <summary>BertForMaskedLM: <c>bert.*</c>, <c>cls.predictions.{transform.*, bias}</c>.</summary>
    public static MaskedLmLayout Bert { get; } = new("bert.", "BertForMaskedLM", ["cls."], "cls.predictions.decoder");

    /// <summary>ModernBertForMaskedLM: <c>model.*</c>, <c>head.{dense, norm}.*</c>, <c>decoder.bias</c>.</summary>
    public static MaskedLmLayout ModernBert { get; } = new("model.", "ModernBertForMaskedLM", ["head.", "decoder."], "decoder.weight");

    /// <summary>The layout of <paramref name="transformer"/>'s masked-LM model.</summary>
    public static MaskedLmLayout For(ITransformer transformer) =>
        transformer is Skald.Models.Architectures.ModernBert ? ModernBert : Bert;

    /// <summary>Whether <paramref name="key"/> is one of the head's keys (kept at the top level).</summary>
    public bool IsHeadKey(string key) => HeadPrefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal));
}
