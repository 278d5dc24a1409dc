using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Tokenizers.Serialization;

/// <summary>
/// A JSON file from a user read whole (config.json, tokenizer.json, tokenizer_config.json, adapter_config.json, a suite,
/// a <c>--json-schema</c>): the one wording of what is wrong with it, in user words and 1-based places,
/// <c>FILE: empty</c> or <c>FILE: not JSON (line L, column C): REASON</c>, never the parser's own
/// "LineNumber: 0 | BytePositionInLine: 0" (counted from 0) or "does not contain any JSON tokens". Kept here, in the
/// lowest assembly that reads JSON, beside <see cref="Utf8File"/> (bytes that are not UTF-8 are its error).
/// </summary>
public static class JsonFile
{
    /// <summary>The parsed content of <paramref name="path"/>.</summary>
    /// <param name="path">The file, named in every message.</param>
    /// <param name="error">Makes the exception thrown from its one-line message.</param>
    /// <param name="options">The parser's options (comments, trailing commas, depth).</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static JsonDocument Read(string path, Func<string, Exception> error, JsonDocumentOptions options = default) =>
        Parse(Utf8File.ReadAllBytes(path, error), path, error, options);

    /// <summary>The parsed content of <paramref name="path"/> as a mutable node (a file to be rewritten).</summary>
    /// <param name="path">The file, named in every message.</param>
    /// <param name="error">Makes the exception thrown from its one-line message.</param>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static JsonNode ReadNode(string path, Func<string, Exception> error)
    {
        ArgumentNullException.ThrowIfNull(error);
        byte[] bytes = Utf8File.ReadAllBytes(path, error);
        var json = Content(bytes, path, error);
        try
        {
            return JsonNode.Parse(json.Span) ?? throw error($"{path}: expected a JSON object, found null");
        }
        catch (JsonException e)
        {
            throw error(NotJson(path, json.Span, e));
        }
    }

    /// <summary>Parses text that came from <paramref name="name"/> (a file already read, or content handed over).</summary>
    public static JsonDocument Parse(string text, string name, Func<string, Exception> error, JsonDocumentOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(System.Text.Encoding.UTF8.GetBytes(text), name, error, options);
    }

    /// <summary>Parses the UTF-8 bytes of <paramref name="name"/>; a leading BOM is skipped.</summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string name, Func<string, Exception> error, JsonDocumentOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        var json = Content(utf8, name, error);
        try
        {
            return JsonDocument.Parse(json, options);
        }
        catch (JsonException e)
        {
            throw error(NotJson(name, json.Span, e));
        }
    }

    /// <summary>
    /// "<c>NAME: not JSON (line L, column C): REASON</c>" for <paramref name="e"/>, thrown parsing <paramref name="utf8"/>:
    /// the line counted from 1 and the column in characters from 1 (the parser counts bytes from 0).
    /// </summary>
    public static string NotJson(string name, ReadOnlySpan<byte> utf8, JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string reason = JsonLineError.Reason(e);
        if (e.LineNumber is not long line || e.BytePositionInLine is not long position) return $"{name}: not JSON: {reason}";
        return $"{name}: not JSON (line {line + 1}, column {JsonLineError.Column(utf8, line, position)}): {reason}";
    }

    // The bytes after a BOM; nothing but white space is "empty", not the parser's "does not contain any JSON tokens".
    private static ReadOnlyMemory<byte> Content(ReadOnlyMemory<byte> utf8, string name, Func<string, Exception> error)
    {
        if (utf8.Span.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        return utf8.Span.IndexOfAnyExcept(" \t\r\n"u8) < 0 ? throw error($"{name}: empty") : utf8;
    }
}
