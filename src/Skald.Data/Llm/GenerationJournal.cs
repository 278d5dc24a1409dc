using System.Text;
using System.Text.Json;
using Skald.Data.IO;

namespace Skald.Data.Llm;

/// <summary>
/// The append-only record of finished chunks that lets an interrupted generation resume without asking for the same
/// chunk twice: one JSON line per chunk, each written with a single write and flushed to disk before the chunk counts
/// as done. A torn last line (the process killed mid-write) is ignored on reading, so its chunk is asked again; an entry
/// whose fingerprint (model, prompt language, questions per chunk, passage) differs from the current run's is not used.
/// </summary>
public sealed class GenerationJournal : IDisposable
{
    private readonly JournalFile file;

    private GenerationJournal(JournalFile file, Dictionary<string, JournalEntry> entries)
    {
        this.file = file;
        Entries = entries;
    }

    /// <summary>The journal file.</summary>
    public string Path => file.Path;

    /// <summary>Entries read at opening, by chunk id (the last entry of a chunk wins).</summary>
    public IReadOnlyDictionary<string, JournalEntry> Entries { get; }

    /// <summary>Opens (or creates) the journal at <paramref name="path"/>, reading what it holds.</summary>
    public static GenerationJournal Open(string path)
    {
        var file = JournalFile.Open(path); // a torn last line is dropped
        var entries = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        foreach (var line in file.Lines)
        {
            if (TryRead(line) is { } e) entries[e.Chunk] = e;
        }
        return new GenerationJournal(file, entries);
    }

    /// <summary>Appends <paramref name="entry"/> and flushes it to disk.</summary>
    public void Append(JournalEntry entry)
    {
        string line = JsonLines.Object(("chunk", entry.Chunk), ("fingerprint", entry.Fingerprint)).TrimEnd('}')
            + ",\"questions\":" + JsonSerializer.Serialize(entry.Questions, JsonOptions) + "}\n";
        file.Append(Encoding.UTF8.GetBytes(line));
    }

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JournalEntry? TryRead(byte[] line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            return new JournalEntry(e.GetProperty("chunk").GetString()!, e.GetProperty("fingerprint").GetString()!,
                [.. e.GetProperty("questions").EnumerateArray().Select(q => q.GetString()!)]);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }
}
