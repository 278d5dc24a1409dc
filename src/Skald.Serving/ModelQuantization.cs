namespace Skald.Serving;

/// <summary>
/// How a loaded embedding model multiplies its Linear layers for inference: <c>skald serve --quantize</c>'s values and
/// <see cref="SkaldServiceCollectionExtensions.AddSkaldEmbeddingGenerator"/>'s <c>Quantize</c> key
/// (<see cref="ModelLoadValues.Quantization"/> reads both).
/// </summary>
public enum ModelQuantization
{
    /// <summary>float32 weights, held once in the GEMM's packed layout (the same embeddings bit for bit).</summary>
    None,

    /// <summary>int8 weights (one scale per output row) and per-token int8 activations (<see cref="Skald.Models.SentenceEncoder.KeepInt8Only"/>).</summary>
    Int8,

    /// <summary>bfloat16 weights and activations, float32 sums (<see cref="Skald.Models.SentenceEncoder.KeepBf16Only"/>).</summary>
    Bf16,
}
