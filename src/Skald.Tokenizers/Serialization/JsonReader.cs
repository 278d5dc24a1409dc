using System.Text.Json;

namespace Skald.Tokenizers.Serialization;

/// <summary>Small typed accessors over JSON elements that report errors with file name and JSON path.</summary>
internal readonly struct JsonReader(string source)
{
    /// <summary>Name of the file being read (for messages).</summary>
    public string Source { get; } = source;

    /// <summary>An error at <paramref name="path"/>.</summary>
    public TokenizerException Error(string path, string what) => new($"{Source}: {what} at {path}");

    /// <summary>The component type name ("type" key).</summary>
    public string TypeOf(JsonElement e, string path, string kind)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Error(path, $"{kind} must be an object");
        if (!e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            throw Error(path, $"{kind} has no \"type\"");
        return t.GetString()!;
    }

    /// <summary>Optional property (absent or null gives false).</summary>
    public static bool TryGet(JsonElement e, string name, out JsonElement value) =>
        e.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Required property.</summary>
    public JsonElement Required(JsonElement e, string name, string path)
    {
        if (!TryGet(e, name, out var v)) throw Error(path, $"missing \"{name}\"");
        return v;
    }

    /// <summary>Optional boolean.</summary>
    public bool Bool(JsonElement e, string name, string path, bool fallback)
    {
        if (!TryGet(e, name, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"{path}.{name}", "expected a boolean"),
        };
    }

    /// <summary>Optional nullable boolean.</summary>
    public bool? NullableBool(JsonElement e, string name, string path) =>
        TryGet(e, name, out _) ? Bool(e, name, path, false) : null;

    /// <summary>Optional string.</summary>
    public string? String(JsonElement e, string name, string path)
    {
        if (!TryGet(e, name, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Error($"{path}.{name}", "expected a string");
    }

    /// <summary>Required string.</summary>
    public string RequiredString(JsonElement e, string name, string path) =>
        String(e, name, path) ?? throw Error(path, $"missing \"{name}\"");

    /// <summary>Optional integer.</summary>
    public int? Int(JsonElement e, string name, string path)
    {
        if (!TryGet(e, name, out var v)) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Error($"{path}.{name}", "expected an integer");
    }

    /// <summary>Required array.</summary>
    public JsonElement Array(JsonElement e, string name, string path)
    {
        var v = Required(e, name, path);
        return v.ValueKind == JsonValueKind.Array ? v : throw Error($"{path}.{name}", "expected an array");
    }

    /// <summary>A ["token", id] pair.</summary>
    public (string, int) TokenIdPair(JsonElement e, string name, string path)
    {
        var v = Required(e, name, path);
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2 || v[0].ValueKind != JsonValueKind.String || !v[1].TryGetInt32(out int id))
            throw Error($"{path}.{name}", "expected [\"token\", id]");
        return (v[0].GetString()!, id);
    }
}
