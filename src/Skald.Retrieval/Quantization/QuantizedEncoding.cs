using Skald.Models;

namespace Skald.Retrieval.Quantization;

/// <summary>
/// sentence-transformers' <c>encode(..., precision=)</c>: a <see cref="SentenceEncoder"/>'s embeddings quantized by
/// <see cref="EmbeddingQuantizer"/>. A call of its own rather than an <see cref="EncodeOptions"/> field, because the
/// result is bytes in a <see cref="QuantizedEmbeddings"/> (with the calibration ranges int8 / uint8 need to quantize
/// queries the same way), not <c>float[][]</c>, and because the quantizer belongs to Skald.Retrieval, above Skald.Models.
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/SentenceTransformer.py
/// (encode quantizes the whole call's embeddings, after truncate_dim and normalize_embeddings, with quantize_embeddings).</remarks>
public static class QuantizedEncoding
{
    /// <summary>
    /// Encodes <paramref name="texts"/> as <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, EncodeOptions?, CancellationToken)"/>
    /// does (prompts, truncation, normalisation from <paramref name="options"/>) and quantizes the embeddings to
    /// <paramref name="precision"/>. int8 / uint8 use <paramref name="ranges"/>, or when null the ranges of these
    /// embeddings themselves, as upstream's encode does (better: ranges of a larger calibration set, e.g. the corpus,
    /// <see cref="QuantizationRanges.FromEmbeddings"/>). No texts with int8 / uint8 and no ranges is an
    /// <see cref="ArgumentException"/>: there is nothing to take the ranges from.
    /// </summary>
    public static QuantizedEmbeddings EncodeQuantized(this SentenceEncoder model, IReadOnlyList<string> texts,
        EmbeddingPrecision precision, EncodeOptions? options = null, QuantizationRanges? ranges = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0 && ranges is null && EmbeddingQuantizer.NeedsRanges(precision))
            throw new ArgumentException($"no texts: {EmbeddingQuantizer.Name(precision)} takes its ranges from the embeddings, so give ranges", nameof(texts));
        return EmbeddingQuantizer.Quantize(model.Encode(texts, options, cancellationToken), precision, ranges);
    }
}
