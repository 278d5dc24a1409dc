using Skald.Tensors;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>One batch of an epoch: which dataset and which of its rows.</summary>
/// <param name="Dataset">Index of the dataset.</param>
/// <param name="Rows">Row indices within it.</param>
public sealed record PlannedBatch(int Dataset, int[] Rows)
{
    /// <summary>The input columns the batch reads, the first ones (0: all; a same-dataset batch's group size + 1, <see cref="SameDatasetBatches"/>).</summary>
    public int Width { get; init; }
}
