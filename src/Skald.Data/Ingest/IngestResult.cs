namespace Skald.Data.Ingest;

/// <summary>
/// What ingesting gave: the cleaned documents, their chunks and the files that were skipped; <see cref="Notices"/> are
/// parts of read files that were not (scanned PDF pages without OCR, a page OCR failed on), one line each.
/// </summary>
public sealed record IngestResult(IReadOnlyList<SourceDocument> Documents, IReadOnlyList<Chunk> Chunks, IReadOnlyList<SkippedFile> Skipped)
{
    /// <summary>Parts of read files that were left out, one line each naming the file.</summary>
    public IReadOnlyList<string> Notices { get; init; } = [];
}
