using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Converts .NET values handed to a template (strings, numbers, bools, null, dictionaries, lists, JSON elements and
/// nodes, <see cref="ChatMessage"/>) into the template's Python-like values: long, double, string, bool, null,
/// <c>List&lt;object?&gt;</c> and insertion-ordered <c>Dictionary&lt;string, object?&gt;</c>.
/// </summary>
internal static class TemplateValues
{
    /// <summary>Converts one value.</summary>
    public static object? From(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b,
        int i => (long)i,
        long l => l,
        short s16 => (long)s16,
        byte u8 => (long)u8,
        uint u32 => (long)u32,
        float f => (double)f,
        double d => d,
        decimal m => (double)m,
        ChatMessage msg => new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = msg.Role, ["content"] = msg.Content },
        JsonElement e => FromJson(e),
        JsonNode n => FromJson(JsonSerializer.SerializeToElement(n)),
        Dictionary<string, object?> d => d.ToDictionary(kv => kv.Key, kv => From(kv.Value), StringComparer.Ordinal),
        IEnumerable<KeyValuePair<string, object?>> pairs => ToDict(pairs),
        IDictionary dict => ToDict(dict.Keys.Cast<object>().Select(k => new KeyValuePair<string, object?>(k.ToString() ?? "", dict[k]))),
        IEnumerable seq => seq.Cast<object?>().Select(From).ToList(),
        _ => throw new ArgumentException($"a {value.GetType().Name} cannot be passed to a chat template"),
    };

    private static Dictionary<string, object?> ToDict(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) d[k] = From(v);
        return d;
    }

    /// <summary>Converts a JSON element (integers stay integers, as Python's json module reads them).</summary>
    public static object? FromJson(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined: return null;
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String: return e.GetString();
            case JsonValueKind.Number:
                string raw = e.GetRawText();
                bool isInt = raw.IndexOfAny(['.', 'e', 'E']) < 0;
                return isInt && e.TryGetInt64(out long l) ? (object)l : e.GetDouble();
            case JsonValueKind.Array: return e.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.Object:
                var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
                return d;
        }
        return null;
    }
}
