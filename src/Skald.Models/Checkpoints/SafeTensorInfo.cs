namespace Skald.Models.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">Key as stored (e.g. <c>bert.encoder.layer.0.attention.self.query.weight</c>).</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Begin">Byte offset of the first element, relative to the start of the data section.</param>
/// <param name="End">Byte offset one past the last element.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}
