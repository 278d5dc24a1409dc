namespace Skald.Training.Losses;

/// <summary>
/// Which columns of a batch a ColBERT loss reads and how each is tokenized, as PyLate's <c>ColBERTCollator</c> decides
/// by the columns' names: a column whose name contains <c>_id</c> is not tokenized (so no loss sees it); one whose name
/// contains <c>query</c> or <c>anchor</c> (case-sensitive, as Python's <c>in</c>) is tokenized as queries, any other as
/// documents, so a batch none of whose names matches is tokenized as documents throughout. The loss still takes the
/// columns by position, the first as the anchor (sentence-transformers' order of the features; PyLate's
/// <c>extract_skiplist_mask</c> and losses), whatever it was tokenized as. A batch without names (built in code) keeps
/// the positional rule: the first column queries, the others documents.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/utils/collator.py
/// (<c>ColBERTCollator.__call__</c>: <c>"_id" in column_name</c>, <c>is_query = "query" in column_name or "anchor" in
/// column_name</c>) and pylate/losses/contrastive.py, distillation.py at the same commit.
/// </remarks>
internal static class ColbertColumns
{
    /// <summary>Whether PyLate's collator tokenizes the column <paramref name="name"/> as queries.</summary>
    public static bool IsQuery(string name) =>
        name.Contains("query", StringComparison.Ordinal) || name.Contains("anchor", StringComparison.Ordinal);

    /// <summary>Whether PyLate's collator leaves the column <paramref name="name"/> untokenized (an id column).</summary>
    public static bool IsId(string name) => name.Contains("_id", StringComparison.Ordinal);

    /// <summary>The data set <paramref name="d"/> without its id columns (itself when it has none).</summary>
    public static Data.TextDataset WithoutIds(Data.TextDataset d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return d.Columns.Any(IsId) && d.Groups is null ? d.SelectColumns([.. d.Columns.Where(c => !IsId(c))]) : d;
    }

    /// <summary>
    /// <paramref name="batch"/> without its id columns (their prompts dropped with them), and per remaining column
    /// whether it is tokenized as queries.
    /// </summary>
    public static (TrainingBatch Batch, bool[] Queries) Select(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.ColumnNames is not { } names) return (batch, [.. batch.Columns.Select((_, c) => c == 0)]);
        if (names.Count != batch.Columns.Count)
            throw new ArgumentException($"{names.Count} column names for {batch.Columns.Count} columns", nameof(batch));
        var kept = Enumerable.Range(0, names.Count).Where(c => !IsId(names[c])).ToArray();
        var queries = kept.Select(c => IsQuery(names[c])).ToArray();
        if (kept.Length == names.Count) return (batch, queries);
        return (batch with
        {
            Columns = [.. kept.Select(c => batch.Columns[c])],
            ColumnNames = [.. kept.Select(c => names[c])],
            Prompts = batch.Prompts is { } p ? [.. kept.Select(c => p[c])] : null,
        }, queries);
    }
}
