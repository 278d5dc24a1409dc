namespace Skald.Training;

/// <summary>
/// One training batch as sentence-transformers sees it: input columns by position (anchor, positive, negatives...),
/// each with the same number of rows, and optional labels: one per row (a score for CoSENT) or the same number per row,
/// flat (MarginMSE's margins for several negatives).
/// </summary>
public sealed record TrainingBatch(IReadOnlyList<IReadOnlyList<string>> Columns, IReadOnlyList<float>? Labels = null)
{
    /// <summary>Rows in the batch.</summary>
    public int Count => Columns.Count == 0 ? 0 : Columns[0].Count;
}
