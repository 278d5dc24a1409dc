namespace Skald.Data.Negatives;

/// <summary>A mined data set: column names, rows (strings; a labelled pair's label is "0" or "1") and what mining dropped.</summary>
/// <param name="Columns">Column names (the input's anchor and positive names, then negative / negative_i / label / score / scores).</param>
/// <param name="Rows">Rows in anchor order.</param>
/// <param name="Removed">Candidates removed, by rule (anchor, positive, absolute_margin, relative_margin, max_score, min_score).</param>
/// <param name="AnchorsShort">Anchors that got fewer than the asked number of negatives.</param>
/// <param name="RangeMax">The candidate depth used.</param>
public sealed record MinedData(IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows, IReadOnlyDictionary<string, int> Removed,
    int AnchorsShort, int RangeMax)
{
    /// <summary>The column whose cells are lists of texts, JSON arrays (the labeled-list format's documents), or null.</summary>
    public string? ListColumn { get; init; }
}
