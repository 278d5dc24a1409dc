using System.Text.Json.Serialization;

namespace Skald.Retrieval.Index;

/// <summary>
/// A document file that could not be read (no permission, an I/O error, a damaged PDF or Word file its reader gave up
/// on), as an index records it (<see cref="IndexManifest.Unreadable"/>): it has no rows, and a sync skips it while its
/// stamp, else its hash, is the one recorded here, instead of trying it again every time. One that could not even be
/// opened has no hash: it is skipped while its stamp is the same and it still cannot be opened (a permission given back
/// changes no stamp).
/// </summary>
/// <param name="Source">The file, named as rows' <see cref="IndexRecord.Source"/> are (relative to the documents root).</param>
/// <param name="Sha256">The SHA-256 of its bytes when its reader failed on them (lower-case hex); null when it could not be opened.</param>
/// <param name="Size">Its length then, in bytes; null when its stamp was not taken.</param>
/// <param name="Modified">Its last write time then (UTC, <c>O</c>); null when too close to the read to be trusted (as <see cref="IndexRecord.SourceModified"/>).</param>
/// <param name="Reason">Why it could not be read, as the sync's log line said it (<c>cannot read (...)</c>, <c>not a readable PDF (...)</c>).</param>
public sealed record UnreadableFile(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("sha256"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sha256,
    [property: JsonPropertyName("size"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Size,
    [property: JsonPropertyName("mtime"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Modified,
    [property: JsonPropertyName("reason")] string Reason);
