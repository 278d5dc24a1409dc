namespace Skald.Retrieval.Index;

/// <summary>
/// Whether two records belong to the same document (<see cref="IndexRecord.Document"/>): a document named by its
/// file's path (<c>hr/ferie.md</c>, <c>rows.jsonl:3</c>: it starts with the record's <see cref="IndexRecord.Source"/>)
/// compares that path as the file system does (<see cref="DocumentPaths.Comparer"/>) and the rest ordinally; any other
/// document id (a BEIR corpus's <c>_id</c>) ordinally.
/// </summary>
internal sealed class SameDocument : IEqualityComparer<IndexRecord>
{
    private readonly StringComparer paths = DocumentPaths.Comparer;

    /// <inheritdoc />
    public bool Equals(IndexRecord? x, IndexRecord? y)
    {
        if (x is null || y is null) return ReferenceEquals(x, y);
        int a = PathLength(x), b = PathLength(y);
        if (a != b) return false;
        return paths.Equals(x.Document[..a], y.Document[..b]) && x.Document.AsSpan(a).SequenceEqual(y.Document.AsSpan(b));
    }

    /// <inheritdoc />
    public int GetHashCode(IndexRecord obj)
    {
        int n = PathLength(obj);
        return HashCode.Combine(paths.GetHashCode(obj.Document[..n]), string.GetHashCode(obj.Document.AsSpan(n), StringComparison.Ordinal));
    }

    /// <summary>How much of the record's document is its source's path (0: the document is not named by a path).</summary>
    private int PathLength(IndexRecord r) =>
        r.Source.Length > 0 && r.Document.Length >= r.Source.Length && paths.Equals(r.Document[..r.Source.Length], r.Source) ? r.Source.Length : 0;
}
