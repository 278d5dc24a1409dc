using System.Text.Json;
using Skald.Models.Modules;

namespace Skald.Models.Generation;

/// <summary>
/// The generation-relevant ids of a model folder: eos_token_id (an int or a list) and pad_token_id from config.json,
/// overridden by generation_config.json when it has them (as transformers' GenerationConfig.from_model_config and
/// from_pretrained combine them).
/// </summary>
public sealed record GenerationConfig(IReadOnlyList<int> EosTokenIds, int? PadTokenId)
{
    /// <summary>Reads <paramref name="folder"/>'s config.json and generation_config.json (either may be absent).</summary>
    public static GenerationConfig Load(string folder)
    {
        IReadOnlyList<int> eos = [];
        int? pad = null;
        foreach (var name in new[] { "config.json", "generation_config.json" })
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            using var doc = JsonFiles.Read(path); // "FILE: empty", "FILE: not JSON (line L, column C): ..."
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ModelFormatException($"{path}: not a JSON object");
            if (root.TryGetProperty("eos_token_id", out var e) && Ids(e, path, "eos_token_id") is { } ids) eos = ids;
            if (root.TryGetProperty("pad_token_id", out var p) && Ids(p, path, "pad_token_id") is [var first, ..]) pad = first;
        }
        return new GenerationConfig(eos, pad);
    }

    private static int[]? Ids(JsonElement e, string path, string key) => e.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number when e.TryGetInt32(out int id) => [id],
        JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out _)) =>
            [.. e.EnumerateArray().Select(x => x.GetInt32())],
        _ => throw new ModelFormatException($"{path}: {key} must be a token id or a list of ids"),
    };
}
