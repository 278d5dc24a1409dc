namespace Skald.Data.Indexing;

/// <summary>What <see cref="DocumentIndex.Sync"/> did, counted in files and rows.</summary>
/// <param name="Unchanged">Files whose length and write time, else whose bytes' hash, are as the index recorded them: not read nor embedded again (unreadable ones aside: <see cref="Unreadable"/>).</param>
/// <param name="Changed">Files read and embedded again, their old rows replaced.</param>
/// <param name="New">Files the index did not hold, read and embedded.</param>
/// <param name="Removed">Files the index held under the synced documents that are gone: their rows dropped.</param>
/// <param name="RowsAdded">Rows written for changed and new files.</param>
/// <param name="RowsDropped">Live rows dropped (of changed and removed files).</param>
public sealed record DocumentSyncResult(int Unchanged, int Changed, int New, int Removed, int RowsAdded, int RowsDropped)
{
    /// <summary>Whether the index was written (false: every file unchanged, none removed, or only new files without text; the index left as it was).</summary>
    public bool Written { get; init; }

    /// <summary>
    /// Files that could not be read (<c>IndexManifest.Unreadable</c>): those skipped as unchanged since their read failed,
    /// and those that failed at this sync (counted here, not as changed or new); none has rows.
    /// </summary>
    public int Unreadable { get; init; }
}
