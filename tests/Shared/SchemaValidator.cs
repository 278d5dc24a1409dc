using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// A small JSON schema validator for the subset constrained decoding takes (type and lists of types, properties,
/// required, additionalProperties (false, true or a schema), enum, const, items, minItems, maxItems, minLength, maxLength in code points, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
/// anyOf, $ref to a pointer in the schema), written from the JSON Schema specification as an oracle independent of the
/// compiler under test: it knows nothing of key order or how values are written.
/// </summary>
internal static class SchemaValidator
{
    /// <summary>Why <paramref name="json"/> does not validate against <paramref name="schema"/>, or null when it does (or is not JSON).</summary>
    public static string? Problem(string schema, string json)
    {
        using var s = JsonDocument.Parse(schema);
        JsonDocument d;
        try
        {
            d = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            return $"not JSON: {e.Message}";
        }
        using (d) return Check(s.RootElement, s.RootElement, d.RootElement, "");
    }

    private static string? Check(JsonElement root, JsonElement schema, JsonElement value, string at)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var target = root;
            foreach (string segment in reference.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
                target = target.GetProperty(segment.Replace("~1", "/").Replace("~0", "~"));
            return Check(root, target, value, at);
        }
        if (schema.TryGetProperty("anyOf", out var anyOf))
            return anyOf.EnumerateArray().Any(a => Check(root, a, value, at) is null) ? null : $"{at}: matches no anyOf alternative";
        if (schema.TryGetProperty("const", out var constant) && !JsonElement.DeepEquals(constant, value)) return $"{at}: is not the const";
        if (schema.TryGetProperty("enum", out var list) && !list.EnumerateArray().Any(e => JsonElement.DeepEquals(e, value))) return $"{at}: is not in the enum";
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.String ? [type.GetString()!] : type.EnumerateArray().Select(t => t.GetString()!).ToArray();
            if (!types.Any(t => Is(value, t))) return $"{at}: is not of type {string.Join("|", types)}";
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var names = value.EnumerateObject().Select(p => p.Name).ToList();
                if (names.Distinct().Count() != names.Count) return $"{at}: repeats a key";
                if (schema.TryGetProperty("required", out var required))
                {
                    foreach (var r in required.EnumerateArray())
                        if (!names.Contains(r.GetString()!)) return $"{at}: lacks required \"{r.GetString()}\"";
                }
                schema.TryGetProperty("properties", out var properties);
                foreach (var p in value.EnumerateObject())
                {
                    if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(p.Name, out var sub))
                    {
                        if (Check(root, sub, p.Value, $"{at}/{p.Name}") is { } problem) return problem;
                    }
                    else if (schema.TryGetProperty("additionalProperties", out var extra))
                    {
                        if (extra.ValueKind == JsonValueKind.False) return $"{at}: has \"{p.Name}\", not a listed property";
                        if (extra.ValueKind == JsonValueKind.Object && Check(root, extra, p.Value, $"{at}/{p.Name}") is { } problem) return problem;
                    }
                }
                break;
            case JsonValueKind.Array:
                int n = value.GetArrayLength();
                if (schema.TryGetProperty("minItems", out var minItems) && n < minItems.GetInt32()) return $"{at}: {n} items, fewer than minItems";
                if (schema.TryGetProperty("maxItems", out var maxItems) && n > maxItems.GetInt32()) return $"{at}: {n} items, more than maxItems";
                if (schema.TryGetProperty("items", out var items))
                {
                    int i = 0;
                    foreach (var item in value.EnumerateArray())
                        if (Check(root, items, item, $"{at}/{i++}") is { } problem) return problem;
                }
                break;
            case JsonValueKind.Number when schema.TryGetProperty("minimum", out _) || schema.TryGetProperty("maximum", out _)
                || schema.TryGetProperty("exclusiveMinimum", out _) || schema.TryGetProperty("exclusiveMaximum", out _):
                if (!value.TryGetDecimal(out decimal number)) return $"{at}: {value.GetRawText()} is out of any bound's reach";
                if (schema.TryGetProperty("minimum", out var minimum) && number < minimum.GetDecimal()) return $"{at}: {number} is below minimum";
                if (schema.TryGetProperty("maximum", out var maximum) && number > maximum.GetDecimal()) return $"{at}: {number} is above maximum";
                if (schema.TryGetProperty("exclusiveMinimum", out var above) && number <= above.GetDecimal()) return $"{at}: {number} is not above exclusiveMinimum";
                if (schema.TryGetProperty("exclusiveMaximum", out var below) && number >= below.GetDecimal()) return $"{at}: {number} is not below exclusiveMaximum";
                break;
            case JsonValueKind.String:
                int length = value.GetString()!.EnumerateRunes().Count();
                if (schema.TryGetProperty("minLength", out var minLength) && length < minLength.GetInt32()) return $"{at}: {length} characters, fewer than minLength";
                if (schema.TryGetProperty("maxLength", out var maxLength) && length > maxLength.GetInt32()) return $"{at}: {length} characters, more than maxLength";
                break;
        }
        return null;
    }

    private static bool Is(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && (v.GetRawText().TrimStart('-').All(char.IsAsciiDigit) || decimal.TryParse(v.GetRawText(), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out decimal d) && d == decimal.Truncate(d)),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => false,
    };
}
