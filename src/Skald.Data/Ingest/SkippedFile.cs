namespace Skald.Data.Ingest;

/// <summary>A file that was not ingested, and why (unreadable, empty, unsupported type).</summary>
public sealed record SkippedFile(string Path, string Reason)
{
    /// <summary>
    /// Whether the file could not be opened (no access, gone, an I/O error) rather than read and found without text or
    /// malformed: reading it again unchanged may give text, so an index does not record it as a text-less file.
    /// </summary>
    public bool Unopened { get; init; }

    /// <summary>
    /// Whether its reader failed on it (<see cref="Unopened"/>, or a damaged file the reader gave up on) rather than read
    /// it and found no text: an index records it as unreadable (<c>IndexManifest.Unreadable</c>), not as text-less. A
    /// picture or a PDF of scanned pages OCR could not read (off, none installed, or tesseract failed on it:
    /// <see cref="DataException.UnreadPictures"/>) is text-less instead, read again when OCR can read more.
    /// </summary>
    public bool Failed { get; init; }
}
