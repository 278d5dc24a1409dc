namespace Skald.Retrieval.Quantization;

/// <summary>Row <paramref name="row"/> of a corpus's float embeddings (for rescoring quantized search at full precision).</summary>
public delegate ReadOnlySpan<float> FloatRow(int row);
