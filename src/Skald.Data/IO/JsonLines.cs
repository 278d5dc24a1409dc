using System.Text.Encodings.Web;
using System.Text.Json;

namespace Skald.Data.IO;

/// <summary>Writes JSON-lines files with readable non-ASCII text (æ, ø, å stay as they are).</summary>
public static class JsonLines
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one object per item to <paramref name="stream"/>.</summary>
    public static void Write<T>(Stream stream, IEnumerable<T> items, Action<Utf8JsonWriter, T> write)
    {
        using var w = new Utf8JsonWriter(stream, Options);
        foreach (var item in items)
        {
            w.WriteStartObject();
            write(w, item);
            w.WriteEndObject();
            w.Flush();
            stream.Write("\n"u8);
            w.Reset();
        }
    }

    /// <summary>One object of string fields as a single line (no newline).</summary>
    public static string Object(params (string Name, string Value)[] fields)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            foreach (var (n, v) in fields) w.WriteString(n, v);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
