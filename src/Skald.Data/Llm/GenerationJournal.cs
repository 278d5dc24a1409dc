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
    private readonly FileStream stream;
    private readonly object gate = new();

    private GenerationJournal(string path, Dictionary<string, JournalEntry> entries, FileStream stream)
    {
        Path = path;
        Entries = entries;
        this.stream = stream;
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>Entries read at opening, by chunk id (the last entry of a chunk wins).</summary>
    public IReadOnlyDictionary<string, JournalEntry> Entries { get; }

    /// <summary>Opens (or creates) the journal at <paramref name="path"/>, reading what it holds.</summary>
    public static GenerationJournal Open(string path)
    {
        var entries = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        long keep = 0;
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            int start = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != (byte)'\n') continue;
                if (TryRead(bytes.AsSpan(start, i - start)) is { } e) entries[e.Chunk] = e;
                start = i + 1;
                keep = start;
            }
        }
        var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        fs.SetLength(keep); // drop a torn last line
        fs.Seek(keep, SeekOrigin.Begin);
        return new GenerationJournal(path, entries, fs);
    }

    /// <summary>Appends <paramref name="entry"/> and flushes it to disk.</summary>
    public void Append(JournalEntry entry)
    {
        string line = JsonLines.Object(("chunk", entry.Chunk), ("fingerprint", entry.Fingerprint)).TrimEnd('}')
            + ",\"questions\":" + JsonSerializer.Serialize(entry.Questions, JsonOptions) + "}\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (gate)
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JournalEntry? TryRead(ReadOnlySpan<byte> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
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
