namespace Skald.Retrieval.Quantization;

/// <summary>
/// The number format embeddings are stored and searched in (sentence-transformers' <c>quantize_embeddings</c>
/// precisions). Names on the command line and in files: float32, int8, uint8, binary, ubinary.
/// </summary>
public enum EmbeddingPrecision
{
    /// <summary>The embeddings as computed: 4 bytes per dimension.</summary>
    Float32,

    /// <summary>
    /// One signed byte per dimension: the dimension's calibration range [min, max] cut into 255 equal steps,
    /// ⌊(x − min) / step⌋ − 128 (truncated toward zero, then held to [−128, 127]).
    /// </summary>
    Int8,

    /// <summary>One unsigned byte per dimension: ⌊(x − min) / step⌋, held to [0, 255].</summary>
    Uint8,

    /// <summary>One bit per dimension (x &gt; 0), packed 8 to a byte, first dimension in the high bit, each byte stored
    /// as a signed byte minus 128 (numpy's <c>packbits(x &gt; 0) - 128</c> as int8).</summary>
    Binary,

    /// <summary>The same bits as <see cref="Binary"/>, each byte stored unsigned (numpy's <c>packbits(x &gt; 0)</c>).</summary>
    Ubinary,
}
