using System.Text.Encodings.Web;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// The bytes a <see cref="JsonSchemaAutomaton"/> matches literally: a key as a JSON string, an enum or const value as
/// compact JSON. Strings keep their non-ASCII characters as UTF-8 (System.Text.Json's relaxed escaping: only quotes,
/// backslashes and control characters are escaped), so a model writes "størrelse" as it would anyway.
/// </summary>
internal static class JsonSchemaTexts
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary><paramref name="name"/> as a JSON string, quotes included.</summary>
    public static byte[] Key(string name)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options)) writer.WriteStringValue(name);
        return buffer.ToArray();
    }

    /// <summary>
    /// <paramref name="name"/> as a JSON string in the one spelling an object with additionalProperties takes for every
    /// key (characters as UTF-8, only the escapes \" \\ \b \f \n \r \t), quotes included; null when it cannot be
    /// spelt so (another control character, a lone surrogate).
    /// </summary>
    public static byte[]? PlainKey(string name)
    {
        var text = new System.Text.StringBuilder("\"");
        foreach (char c in name)
        {
            string? escape = c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\b' => "\\b", '\f' => "\\f", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t",
                < ' ' => null,
                _ => c.ToString(),
            };
            if (escape is null) return null;
            text.Append(escape);
        }
        text.Append('"');
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetBytes(text.ToString());
        }
        catch (ArgumentException) // a lone surrogate
        {
            return null;
        }
    }

    /// <summary><paramref name="value"/> as compact JSON (numbers as the schema writes them).</summary>
    public static byte[] Value(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options)) Write(writer, value);
        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var p in value.EnumerateObject())
                {
                    writer.WritePropertyName(p.Name);
                    Write(writer, p.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String: writer.WriteStringValue(value.GetString()); break;
            case JsonValueKind.Number: writer.WriteRawValue(value.GetRawText(), skipInputValidation: true); break;
            case JsonValueKind.True: writer.WriteBooleanValue(true); break;
            case JsonValueKind.False: writer.WriteBooleanValue(false); break;
            default: writer.WriteNullValue(); break;
        }
    }
}
