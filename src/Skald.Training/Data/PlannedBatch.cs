using Skald.Tensors;
using Skald.Training.Config;

namespace Skald.Training.Data;

/// <summary>One batch of an epoch: which dataset and which of its rows.</summary>
/// <param name="Dataset">Index of the dataset.</param>
/// <param name="Rows">Row indices within it.</param>
public sealed record PlannedBatch(int Dataset, int[] Rows);
