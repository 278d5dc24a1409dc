using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// A small JSON schema validator for the subset constrained decoding takes (type and lists of types, properties,
/// required, additionalProperties (false, true or a schema), enum, const, items, minItems, maxItems, minLength, maxLength in code points, minProperties, maxProperties, minimum, maximum,
/// exclusiveMinimum, exclusiveMaximum, multipleOf (compared exactly), format (<see cref="SchemaFormats"/>),
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
                if (schema.TryGetProperty("minProperties", out var minProperties) && names.Count < minProperties.GetInt32()) return $"{at}: {names.Count} keys, fewer than minProperties";
                if (schema.TryGetProperty("maxProperties", out var maxProperties) && names.Count > maxProperties.GetInt32()) return $"{at}: {names.Count} keys, more than maxProperties";
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
            case JsonValueKind.Number:
                var number = Exact(value);
                if (schema.TryGetProperty("minimum", out var minimum) && Compare(number, Exact(minimum)) < 0) return $"{at}: {value} is below minimum";
                if (schema.TryGetProperty("maximum", out var maximum) && Compare(number, Exact(maximum)) > 0) return $"{at}: {value} is above maximum";
                if (schema.TryGetProperty("exclusiveMinimum", out var above) && Compare(number, Exact(above)) <= 0) return $"{at}: {value} is not above exclusiveMinimum";
                if (schema.TryGetProperty("exclusiveMaximum", out var below) && Compare(number, Exact(below)) >= 0) return $"{at}: {value} is not below exclusiveMaximum";
                if (schema.TryGetProperty("multipleOf", out var step) && !IsMultiple(number, Exact(step))) return $"{at}: {value} is not a multiple of {step}";
                break;
            case JsonValueKind.String:
                int length = value.GetString()!.EnumerateRunes().Count();
                if (schema.TryGetProperty("minLength", out var minLength) && length < minLength.GetInt32()) return $"{at}: {length} characters, fewer than minLength";
                if (schema.TryGetProperty("maxLength", out var maxLength) && length > maxLength.GetInt32()) return $"{at}: {length} characters, more than maxLength";
                if (schema.TryGetProperty("format", out var format) && !SchemaFormats.Holds(format.GetString()!, value.GetString()!))
                    return $"{at}: \"{value.GetString()}\" is not a {format.GetString()}";
                break;
        }
        return null;
    }

    // A JSON number as digits times a power of ten, exactly (no rounding to a double or a decimal).
    private static (BigInteger Digits, int Exponent) Exact(JsonElement v)
    {
        string text = v.GetRawText().ToLowerInvariant();
        int e = text.IndexOf('e');
        int exponent = e < 0 ? 0 : int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
        string mantissa = e < 0 ? text : text[..e];
        int point = mantissa.IndexOf('.');
        if (point >= 0)
        {
            exponent -= mantissa.Length - point - 1;
            mantissa = mantissa.Remove(point, 1);
        }
        return (BigInteger.Parse(mantissa, CultureInfo.InvariantCulture), exponent);
    }

    // The two numbers' digits at the smaller exponent of the two.
    private static (BigInteger A, BigInteger B) Aligned((BigInteger Digits, int Exponent) a, (BigInteger Digits, int Exponent) b)
    {
        int e = Math.Min(a.Exponent, b.Exponent);
        return (a.Digits * BigInteger.Pow(10, a.Exponent - e), b.Digits * BigInteger.Pow(10, b.Exponent - e));
    }

    private static int Compare((BigInteger, int) a, (BigInteger, int) b)
    {
        var (x, y) = Aligned(a, b);
        return x.CompareTo(y);
    }

    private static bool IsMultiple((BigInteger, int) a, (BigInteger, int) step)
    {
        var (x, y) = Aligned(a, step);
        return (x % y).IsZero;
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
