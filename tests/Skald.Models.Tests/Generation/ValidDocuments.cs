using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Writes random documents valid under a JSON schema, from the schema's meaning alone (not from the compiler): listed
/// properties in the schema's order (optional ones sometimes left out), then keys beyond them where
/// <c>additionalProperties</c> allows, none equal to a listed one; integers anywhere in their bounds (-0 and 16-digit
/// values among them); strings with escapes and characters of several UTF-8 lengths; whitespace of the kinds the
/// automaton takes between tokens. Enum and const values are written compactly, so a schema's literals must be
/// written in that form. Deep recursion takes an alternative without <c>$ref</c>.
/// </summary>
internal sealed class ValidDocuments(JsonElement root, Random random)
{
    private static readonly string[] Characters = ["a", "b", "é", "😀", "\\\"", "\\\\", "\\n", "\\t", "\\/", "\\u00e9", "/", " "];
    private static readonly string[] FreeKeys = ["", "a", "ab", "abc", "a\"b", "a\\b", "é", "😀k", "line\nbreak", "tab\t", "x\\y", "é", "k", "kk", "v"];
    private readonly StringBuilder text = new();

    /// <summary>One document of the schema.</summary>
    public string Document()
    {
        text.Clear();
        Value(root, 0);
        return text.ToString();
    }

    private void Space()
    {
        int r = random.Next(8);
        text.Append(r == 0 ? " " : r == 1 ? "\n  \t" : "");
    }

    private JsonElement Resolve(JsonElement s)
    {
        while (s.TryGetProperty("$ref", out var reference))
        {
            var target = root;
            foreach (string segment in reference.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
                target = target.GetProperty(segment.Replace("~1", "/").Replace("~0", "~"));
            s = target;
        }
        return s;
    }

    private void Value(JsonElement schema, int depth)
    {
        var s = Resolve(schema);
        if (s.TryGetProperty("anyOf", out var anyOf))
        {
            var all = anyOf.EnumerateArray().ToList();
            var shallow = all.Where(a => !a.GetRawText().Contains("$ref", StringComparison.Ordinal)).ToList();
            var from = depth > 4 && shallow.Count > 0 ? shallow : all;
            Value(from[random.Next(from.Count)], depth + 1);
            return;
        }
        if (s.TryGetProperty("const", out var constant))
        {
            text.Append(JsonSerializer.Serialize(constant, Compact));
            return;
        }
        if (s.TryGetProperty("enum", out var values))
        {
            var list = values.EnumerateArray().ToList();
            text.Append(JsonSerializer.Serialize(list[random.Next(list.Count)], Compact));
            return;
        }
        string[] types = !s.TryGetProperty("type", out var type) ? ["object", "array", "string", "number", "integer", "boolean", "null"]
            : type.ValueKind == JsonValueKind.String ? [type.GetString()!] : [.. type.EnumerateArray().Select(t => t.GetString()!)];
        if (depth > 4 && types.Length > 1) types = [.. types.Where(t => t is not ("object" or "array"))];
        switch (types[random.Next(types.Length)])
        {
            case "object": Object(s, depth); break;
            case "array": Array(s, depth); break;
            case "string": String(s); break;
            case "integer": text.Append(Integer(s)); break;
            case "number": text.Append(random.Next(3) switch { 0 => "1.5", 1 => "-2e3", _ => "0.25E+2" }); break;
            case "boolean": text.Append(random.Next(2) == 0 ? "true" : "false"); break;
            default: text.Append("null"); break;
        }
    }

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private void Object(JsonElement s, int depth)
    {
        text.Append('{');
        var required = s.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToHashSet() : [];
        var listed = new List<string>();
        bool any = false;
        if (s.TryGetProperty("properties", out var properties))
        {
            foreach (var p in properties.EnumerateObject())
            {
                listed.Add(p.Name);
                if (!required.Contains(p.Name) && random.Next(2) == 0) continue;
                Key(p.Name, ref any);
                Value(p.Value, depth + 1);
            }
        }
        if (s.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind != JsonValueKind.False)
        {
            var free = FreeKeys.Distinct().Where(k => !listed.Contains(k)).OrderBy(_ => random.Next()).Take(random.Next(depth > 3 ? 1 : 4)).ToList();
            foreach (string key in free)
            {
                Key(key, ref any);
                if (extra.ValueKind == JsonValueKind.True || !extra.EnumerateObject().Any()) AnyValue(depth + 1);
                else Value(extra, depth + 1);
            }
        }
        Space();
        text.Append('}');
    }

    private void Key(string name, ref bool any)
    {
        if (any) text.Append(',');
        any = true;
        Space();
        text.Append('"');
        foreach (char c in name)
        {
            text.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\t' => "\\t", _ => c.ToString() });
        }
        text.Append('"');
        Space();
        text.Append(':');
        Space();
    }

    private void AnyValue(int depth)
    {
        switch (random.Next(depth > 4 ? 4 : 6))
        {
            case 0: text.Append("null"); break;
            case 1: text.Append("-12.5e-3"); break;
            case 2: text.Append("\"a\\u0041\""); break;
            case 3: text.Append("true"); break;
            case 4:
                text.Append('[');
                AnyValue(depth + 1);
                text.Append(",{}]");
                break;
            default:
                text.Append("{\"a\":");
                AnyValue(depth + 1);
                text.Append(",\"b\":[]}");
                break;
        }
    }

    private void Array(JsonElement s, int depth)
    {
        int min = s.TryGetProperty("minItems", out var a) ? a.GetInt32() : 0;
        int max = s.TryGetProperty("maxItems", out var z) ? z.GetInt32() : min + 3;
        int n = random.Next(min, Math.Min(max, min + 3) + 1);
        text.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (i > 0) text.Append(',');
            Space();
            Value(s.GetProperty("items"), depth + 1);
        }
        Space();
        text.Append(']');
    }

    private void String(JsonElement s)
    {
        int min = s.TryGetProperty("minLength", out var a) ? a.GetInt32() : 0;
        int max = s.TryGetProperty("maxLength", out var z) ? z.GetInt32() : min + 4;
        int n = random.Next(min, Math.Min(max, min + 4) + 1);
        text.Append('"');
        for (int i = 0; i < n; i++) text.Append(Characters[random.Next(Characters.Length)]);
        text.Append('"');
    }

    // An integer within the schema's bounds, compared as decimals with the bounds as written.
    private string Integer(JsonElement s)
    {
        const decimal Largest = 9_999_999_999_999_999m;
        decimal low = -Largest, high = Largest;
        if (s.TryGetProperty("minimum", out var min)) low = Math.Max(low, Math.Ceiling(min.GetDecimal()));
        if (s.TryGetProperty("exclusiveMinimum", out var xmin)) low = Math.Max(low, Math.Floor(xmin.GetDecimal()) + 1);
        if (s.TryGetProperty("maximum", out var max)) high = Math.Min(high, Math.Floor(max.GetDecimal()));
        if (s.TryGetProperty("exclusiveMaximum", out var xmax)) high = Math.Min(high, Math.Ceiling(xmax.GetDecimal()) - 1);
        decimal value = random.Next(4) switch
        {
            0 => low,
            1 => high,
            2 => Math.Clamp(random.Next(-30, 30), low, high),
            _ => low + Math.Floor((high - low) * (decimal)random.NextDouble()),
        };
        return value == 0 && random.Next(3) == 0 ? "-0" : value.ToString(CultureInfo.InvariantCulture);
    }
}
