using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skald.Retrieval.Index;

/// <summary>One searchable row of an index (a chunk of a document, or a whole BEIR document); a line of <c>records.jsonl</c>.</summary>
/// <param name="Id">Row id, unique in the index (<c>DOCUMENT#cN</c> for chunks, the BEIR <c>_id</c> otherwise).</param>
/// <param name="Document">The document it belongs to (the source file, <c>file:line</c> for .jsonl rows, or the BEIR id).</param>
/// <param name="Source">The file it was read from.</param>
/// <param name="Start">Offset of its first character in the document's cleaned text.</param>
/// <param name="End">Offset just after its last character.</param>
/// <param name="Title">Section heading (with the caption of the table a chunk's rows continue, <c>Chunk.Title</c>) or BEIR title ("" when none).</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="Fields">A .jsonl document's own columns besides its text and title (strings; numbers and booleans as
/// written), which search can filter on; null for other documents (and left out of <c>records.jsonl</c>).</param>
/// <param name="Language">The document's language code (nb, nn, da, sv, en, ...), which picks its BM25 stemmer in an
/// index stemmed per document (<see cref="Bm25Fields"/>); null when unknown or not recorded (and left out of <c>records.jsonl</c>).</param>
/// <param name="SourceSha256">The SHA-256 (lower-case hex) of the source file's bytes when it was read, which a sync
/// compares to skip files unchanged since (<see cref="IndexBuilder.Update"/>); null in indexes written before it was
/// recorded, and for rows not read from a file (left out of <c>records.jsonl</c>).</param>
/// <param name="SourceSize">The source file's length in bytes when it was read (taken before it was hashed); null as
/// <paramref name="SourceSha256"/> is, and in indexes written before it was recorded.</param>
/// <param name="SourceModified">The source file's last write time then (UTC, ISO 8601 to the 100 ns, <c>O</c>): with
/// <paramref name="SourceSize"/> the stamp a sync trusts instead of hashing the file again; null where the time was too
/// close to the read to be trusted (a write in the same tick of the file system's clock would not change it), as
/// <paramref name="SourceSize"/> is, and in older indexes.</param>
public sealed record IndexRecord(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("document")] string Document,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("end")] int End,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("fields"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Fields = null,
    [property: JsonPropertyName("language"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Language = null,
    [property: JsonPropertyName("source_sha256"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SourceSha256 = null,
    [property: JsonPropertyName("source_size"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? SourceSize = null,
    [property: JsonPropertyName("source_mtime"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SourceModified = null)
{
    /// <summary>Title and text as one string, as the models and BM25 see them.</summary>
    [JsonIgnore]
    public string FullText => Title.Length == 0 ? Text : Title + " " + Text;

    /// <summary>
    /// Writes <c>document</c>, <c>source</c>, <c>start</c>, <c>end</c>, <c>title</c>, <c>text</c> (and <c>fields</c>, if any) into the JSON object
    /// open on <paramref name="w"/>: a search hit's fields after its id and score (<c>skald search</c>, <c>/v1/search</c>).
    /// </summary>
    public void WriteLocation(Utf8JsonWriter w)
    {
        w.WriteString("document", Document);
        w.WriteString("source", Source);
        w.WriteNumber("start", Start);
        w.WriteNumber("end", End);
        w.WriteString("title", Title);
        w.WriteString("text", Text);
        if (Fields is null) return;
        w.WriteStartObject("fields");
        foreach (var (key, value) in Fields) w.WriteString(key, value);
        w.WriteEndObject();
    }
}
