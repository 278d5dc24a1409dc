namespace Skald.Training;

/// <summary>
/// One training batch as sentence-transformers sees it: input columns by position (anchor, positive, negatives...),
/// each with the same number of rows, and optional labels: one per row (a score for CoSENT) or the same number per row,
/// flat (MarginMSE's margins for several negatives).
/// </summary>
public sealed record TrainingBatch(IReadOnlyList<IReadOnlyList<string>> Columns, IReadOnlyList<float>? Labels = null)
{
    /// <summary>
    /// Whether each row is to be scored against its own documents only (FlagEmbedding's <c>no_in_batch_neg</c> data sets):
    /// the other rows' documents are no negatives for it. Only the losses that say so read it (bge_m3).
    /// </summary>
    public bool NoInBatchNegatives { get; init; }

    /// <summary>
    /// Per column, the prompt written before each of its texts (sentence-transformers' training prompts,
    /// <c>training.prompts</c>), or null for none; null: no column has one. The losses hand it to
    /// <see cref="Modeling.TrainableEncoder.Prepare(TrainingBatch, int)"/>, which leaves the prompt's tokens out of
    /// pooling when the model's Pooling says include_prompt: false.
    /// </summary>
    public IReadOnlyList<string?>? Prompts { get; init; }

    /// <summary>
    /// The input columns' names in the data file (a list column's as <c>NAME[i]</c>), or null for a batch built without
    /// them. Only the losses that tell columns apart by name read it (the ColBERT losses, as PyLate's collator).
    /// </summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    /// <summary>Rows in the batch.</summary>
    public int Count => Columns.Count == 0 ? 0 : Columns[0].Count;
}
