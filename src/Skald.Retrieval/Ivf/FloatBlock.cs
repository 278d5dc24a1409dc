namespace Skald.Retrieval.Ivf;

/// <summary>Rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of a corpus's float
/// embeddings, row-major [count × dim] (e.g. a view of a memory-mapped file).</summary>
public delegate ReadOnlySpan<float> FloatBlock(int start, int count);
