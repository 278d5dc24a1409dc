using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Modules;

/// <summary>Small helpers for the JSON config files of a model folder; every error names the file and key.</summary>
internal static class JsonFiles
{
    /// <summary>
    /// The parsed content of <paramref name="path"/>, read strictly (<see cref="JsonFile.Read"/>: UTF-8 or UTF-16 with
    /// its byte order mark, a UTF-8 BOM skipped, bytes that do not decode, an empty file or text that is not JSON one
    /// line naming the file and place), as every model-folder JSON file is read.
    /// </summary>
    public static JsonDocument Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        return JsonFile.Read(path, m => new ModelFormatException(m));
    }

    /// <summary>As <see cref="Read"/>, for a file that must hold a JSON object (config.json, adapter_config.json, an index).</summary>
    public static JsonDocument ReadObject(string path)
    {
        var doc = Read(path);
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        string found = doc.RootElement.ValueKind.ToString().ToLowerInvariant();
        doc.Dispose();
        throw new ModelFormatException($"{path}: expected a JSON object, found {found}");
    }

    /// <summary>As <see cref="ReadObject"/>, as a mutable node (a file rewritten into a saved folder).</summary>
    public static System.Text.Json.Nodes.JsonObject ReadNodeObject(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        var node = JsonFile.ReadNode(path, m => new ModelFormatException(m));
        return node as System.Text.Json.Nodes.JsonObject
            ?? throw new ModelFormatException($"{path}: expected a JSON object, found {node.GetValueKind().ToString().ToLowerInvariant()}");
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
