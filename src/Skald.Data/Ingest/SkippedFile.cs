namespace Skald.Data.Ingest;

/// <summary>A file that was not ingested, and why (unreadable, empty, unsupported type).</summary>
public sealed record SkippedFile(string Path, string Reason)
{
    /// <summary>
    /// Whether the file could not be opened (no access, gone, an I/O error) rather than read and found without text or
    /// malformed: reading it again unchanged may give text, so an index does not record it as a text-less file.
    /// </summary>
    public bool Unopened { get; init; }
}
