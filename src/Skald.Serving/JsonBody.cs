using System.Text.Json;

namespace Skald.Serving;

/// <summary>A request body parsed as JSON, or an OpenAI-style 400 saying why it is not.</summary>
internal static class JsonBody
{
    /// <summary>Most nesting a chat body may have: its tools' parameters and response_format's schema nest objects in arrays in objects (System.Text.Json's default).</summary>
    public const int ChatDepth = 64;

    /// <summary>
    /// Parses <paramref name="body"/> (nesting at most <paramref name="maxDepth"/> deep, 8 unless said: no other body
    /// needs more; a leading UTF-8 byte order mark is skipped, as RFC 8259
    /// lets parsers do and as ASP.NET Core's own JSON reading does: Windows PowerShell's and .NET Framework's UTF-8
    /// writers put one there); invalid JSON is a 400, and so is a string (or member name) that is not valid UTF-8 or
    /// escapes a lone surrogate (which the parser accepts but no string can hold), named by the top-level member it is under.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> body, int maxDepth = 8)
    {
        int skipped = 0;
        if (body.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) (body, skipped) = (body[3..], 3);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = maxDepth });
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest(TooDeep(body.Span, maxDepth) is long at
                ? $"the request body nests objects and arrays more than {maxDepth} deep (at byte {at + 1 + skipped}), deeper than this endpoint reads"
                : NotJson(e, skipped), code: ApiErrorCode.InvalidJson);
        }
        try
        {
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                foreach (var member in doc.RootElement.EnumerateObject()) CheckText(member.Value, TopName(member));
            else CheckText(doc.RootElement, null);
            return doc;
        }
        catch
        {
            doc.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The 400 for a required top-level field that the body lacks: "<paramref name="field"/>" is required: <paramref name="what"/>,
    /// and, when the body has a member whose name is a likely typo of it ("inputs" for "input"), which one to rename.
    /// </summary>
    public static ApiException Missing(JsonElement root, string field, string what)
    {
        string message = $"\"{field}\" is required: {what}";
        if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var member in root.EnumerateObject())
            {
                if (member.Name != field && Skald.Retrieval.Data.Typos.Closest(member.Name, [field]) is not null)
                    return ApiException.MissingParameter($"{message} (the body has \"{member.Name}\": did you mean \"{field}\"?)", field);
            }
        }
        return ApiException.MissingParameter(message, field);
    }

    // Where (the byte offset) the body first opens an object or array deeper than maxDepth, read one level deeper than
    // the parse that failed; null when it fails otherwise (the nesting limit was not what it met first).
    private static long? TooDeep(ReadOnlySpan<byte> body, int maxDepth)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxDepth)
                    return reader.TokenStartIndex;
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    // "the request body is not valid JSON at byte N (reason)", N counted from 1 as the client sent it (the byte order mark
    // included); a body of several lines names its line too. The parser's own "LineNumber: 0 | BytePositionInLine: 9"
    // counts from 0 and is left out, so the message is one line in plain words.
    private static string NotJson(JsonException e, int skipped)
    {
        string reason = Tokenizers.Serialization.JsonLineError.Reason(e);
        if (e.BytePositionInLine is not long position) return $"the request body is not valid JSON ({reason})";
        return e.LineNumber is long line and > 0
            ? $"the request body is not valid JSON at line {line + 1}, byte {position + 1} ({reason})"
            : $"the request body is not valid JSON at byte {position + 1 + skipped} ({reason})";
    }

    /// <summary>What a JSON value is, for an error message: "a number", "an array", "an object", "true", ...</summary>
    public static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    private static string TopName(JsonProperty member)
    {
        try
        {
            return member.Name;
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest("a member name of the request body is not valid UTF-8 text");
        }
    }

    // Reads every string and member name under e once, so that text the parser let through but cannot decode is a
    // 400 here, not a failure wherever a reader first asks for it.
    private static void CheckText(JsonElement e, string? under)
    {
        try
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    _ = e.GetString();
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) CheckText(item, under);
                    break;
                case JsonValueKind.Object:
                    foreach (var member in e.EnumerateObject())
                    {
                        _ = member.Name;
                        CheckText(member.Value, under);
                    }
                    break;
            }
        }
        catch (InvalidOperationException)
        {
            throw under is null
                ? ApiException.BadRequest("the request body holds text that is not valid UTF-8 (or a lone surrogate escape)")
                : ApiException.BadRequest($"\"{under}\" holds text that is not valid UTF-8 (or a lone surrogate escape)", under);
        }
    }
}
