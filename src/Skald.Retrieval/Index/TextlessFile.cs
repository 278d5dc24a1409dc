using System.Text.Json.Serialization;

namespace Skald.Retrieval.Index;

/// <summary>
/// A document file that was read and gave no text (an empty file, a scanned PDF or an image no OCR could read), as an
/// index records it (<see cref="IndexManifest.NoText"/>): it has no rows, and a sync skips it while its stamp, else its
/// hash, and the OCR that read it are the ones recorded here, instead of reading it again every time.
/// </summary>
/// <param name="Source">The file, named as rows' <see cref="IndexRecord.Source"/> are (relative to the documents root).</param>
/// <param name="Sha256">The SHA-256 of its bytes when it was read (lower-case hex).</param>
/// <param name="Size">Its length then, in bytes; null when its stamp was not taken.</param>
/// <param name="Modified">Its last write time then (UTC, <c>O</c>); null when too close to the read to be trusted (as <see cref="IndexRecord.SourceModified"/>).</param>
/// <param name="Ocr">What OCR could read when it was read (the documents reader's word for it: off, unavailable, its languages), so that
/// installing OCR's programs or languages reads it again.</param>
/// <param name="FailuresApart">True when the Skald that recorded it records a file its reader failed on (a damaged PDF or
/// Word file, a text file not in UTF-8) in <see cref="IndexManifest.Unreadable"/> instead, so this one did read and gave
/// no text; false in an entry an earlier Skald wrote, which took such a failure for a file without text: a sync reads
/// that entry's file once more (not an image's, whose reader's failures are text-less still) and records it anew.</param>
public sealed record TextlessFile(
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("size"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Size,
    [property: JsonPropertyName("mtime"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Modified,
    [property: JsonPropertyName("ocr")] string Ocr,
    [property: JsonPropertyName("failures_apart"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool FailuresApart);
