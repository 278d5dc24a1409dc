using System.Text;
using System.Text.Json;

namespace Skald.Models.Generation;

// JsonSchemaCompiler, continued: enum and const, the literal values a schema allows, kept to its types and format.
internal sealed partial class JsonSchemaCompiler
{
    // enum and/or const: the values (of the schema's types, if it gives any) as texts.
    private int Literal(JsonElement s, string at, List<string>? types)
    {
        var values = new List<(JsonElement Value, string Keyword)>();
        if (s.TryGetProperty("enum", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0) throw Error("enum", at, "must be a non-empty array");
            values.AddRange(list.EnumerateArray().Select(v => (v, "enum")));
        }
        var texts = values.Select(v => Text(() => JsonSchemaTexts.Value(v.Value), v.Keyword, at)).ToList();
        if (s.TryGetProperty("const", out var constant))
        {
            var text = Text(() => JsonSchemaTexts.Value(constant), "const", at);
            texts = values.Count == 0 || texts.Any(t => t.AsSpan().SequenceEqual(text)) ? [text] : [];
            values = [(constant, "const")];
        }
        // a value is kept when it is of the schema's types and, a string, of its format (format holds any other value)
        var format = Format(s);
        var kept = texts.Where((t, i) => values[Math.Min(i, values.Count - 1)].Value is var v
            && (types is null || types.Any(type => OfType(v, type)))
            && (format == JsonStringFormat.None || v.ValueKind != JsonValueKind.String || JsonFormatReader.Holds(format, Encoding.UTF8.GetBytes(v.GetString()!)))).ToList();
        if (kept.Count == 0)
        {
            throw Error(values.Count == 1 && values[0].Keyword == "const" ? "const" : "enum", at,
                $"leaves no value (of the schema's type{(format == JsonStringFormat.None ? "" : " and format")}) to write");
        }
        var distinct = kept.DistinctBy(Convert.ToBase64String).ToArray();
        System.Array.Sort(distinct, (a, b) => a.AsSpan().SequenceCompareTo(b));
        return Add(new JsonSchemaNode(JsonSchemaKind.Literal) { Texts = distinct });
    }

    private static bool OfType(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && Math.Floor(d) == d,
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        _ => v.ValueKind == JsonValueKind.Null,
    };

    private static byte[] Text(Func<byte[]> write, string keyword, string at)
    {
        try
        {
            return write();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw Error(keyword, at, "holds a string that is not valid Unicode (a lone surrogate)");
        }
    }
}
