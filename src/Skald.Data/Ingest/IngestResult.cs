namespace Skald.Data.Ingest;

/// <summary>What ingesting gave: the cleaned documents, their chunks and the files that were skipped.</summary>
public sealed record IngestResult(IReadOnlyList<SourceDocument> Documents, IReadOnlyList<Chunk> Chunks, IReadOnlyList<SkippedFile> Skipped);
