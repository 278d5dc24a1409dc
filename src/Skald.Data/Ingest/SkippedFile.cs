namespace Skald.Data.Ingest;

/// <summary>A file that was not ingested, and why (unreadable, empty, unsupported type).</summary>
public sealed record SkippedFile(string Path, string Reason);
