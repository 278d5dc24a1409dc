using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Modules;

/// <summary>Small helpers for the JSON config files of a model folder; every error names the file and key.</summary>
internal static class JsonFiles
{
    public static JsonDocument Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        return JsonFile.Read(path, m => new ModelFormatException(m));
    }

    public static bool Bool(JsonElement o, string key, string path, bool fallback = false)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ModelFormatException($"{path}: key \"{key}\" must be true or false, found {v.GetRawText()}"),
        };
    }

    public static int? Int(JsonElement o, string key, string path)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x))
            throw new ModelFormatException($"{path}: key \"{key}\" must be an integer, found {v.GetRawText()}");
        return x;
    }

    public static string? Str(JsonElement o, string key, string path)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw new ModelFormatException($"{path}: key \"{key}\" must be a string, found {v.GetRawText()}");
        return v.GetString();
    }
}
