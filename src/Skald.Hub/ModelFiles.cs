using System.Text.Json;

namespace Skald.Hub;

/// <summary>
/// The files of a model repository that Skald reads, chosen in two rounds (and a third for shards in a module folder):
/// first the top-level JSON files (config.json, tokenizer files, modules.json, model.safetensors.index.json,
/// adapter_config.json, ...), then, knowing them, the tokenizer's text files (vocab.txt, merges.txt, *.model), custom
/// code (*.py, kept when a model is saved), the sentence-transformers module folders that modules.json names (their
/// JSON, text and safetensors files), and the weights: the index's shards, else model.safetensors /
/// adapter_model.safetensors, else every top-level *.safetensors; only when a folder has no safetensors weights, its
/// torch.save ones (the shards pytorch_model.bin.index.json names, else pytorch_model.bin / adapter_model.bin), which
/// Skald reads without running anything; a module folder's shards come in a third round (<see cref="Shards"/>), once
/// its index is here. BGE-M3's two small heads at the top level (<c>sparse_linear.pt</c>, <c>colbert_linear.pt</c>,
/// torch.save state dicts read the same way) are fetched too. A .bin beside safetensors, other pickles (*.pt, *.pth,
/// *.ckpt), ONNX, OpenVINO, TF and Flax files are never fetched.
/// </summary>
internal static class ModelFiles
{
    private static readonly string[] PickleExtensions = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];

    /// <summary>BGE-M3's heads beside its transformer (Skald.Models' BgeM3Encoder), fetched when the repository has them.</summary>
    private static readonly string[] BgeM3Heads = ["sparse_linear.pt", "colbert_linear.pt"];

    /// <summary>The first round: top-level *.json files.</summary>
    public static IReadOnlyList<string> Metadata(IReadOnlyList<string> files) =>
        [.. files.Where(f => !f.Contains('/') && f.EndsWith(".json", StringComparison.Ordinal))];

    /// <summary>
    /// The second round, reading the first round's files from <paramref name="snapshot"/>. Throws a
    /// <see cref="HubException"/> for a repository whose weights are other pickles only (*.pt, *.ckpt).
    /// </summary>
    public static IReadOnlyList<string> Rest(HubId id, IReadOnlyList<string> files, string snapshot)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (string module in ModulePaths(Path.Combine(snapshot, "modules.json"))) folders.Add(module.Trim('/'));
        var chosen = new List<string>();
        foreach (string f in files)
        {
            int slash = f.LastIndexOf('/');
            string folder = slash < 0 ? "" : f[..slash];
            if (!folders.Contains(folder)) continue;
            bool wanted = folder.Length == 0
                ? f.EndsWith(".txt", StringComparison.Ordinal) && f != "requirements.txt" || f.EndsWith(".model", StringComparison.Ordinal) || f.EndsWith(".py", StringComparison.Ordinal)
                  || BgeM3Heads.Contains(f) || f == "artifact.metadata" // a Stanford ColBERT checkpoint's settings
                : f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".txt", StringComparison.Ordinal) || f.EndsWith(".model", StringComparison.Ordinal)
                  || f.EndsWith(".safetensors", StringComparison.Ordinal);
            if (wanted) chosen.Add(f);
        }
        var weights = TopLevelWeights(files, snapshot).ToList();
        if (weights.Count == 0) weights = TorchWeights(files, snapshot, "");
        chosen.AddRange(weights);
        foreach (string module in TorchModules(files, folders)) // a module folder's weights (2_Dense/): torch only without safetensors there
            chosen.AddRange(TorchWeights(files, snapshot, module + "/")); // its index is fetched with this round: shards come in the next (Shards)
        bool anyWeights = chosen.Any(f => f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".bin", StringComparison.Ordinal)
            || f.EndsWith("/pytorch_model.bin.index.json", StringComparison.Ordinal));
        string? pickle = files.FirstOrDefault(f => folders.Contains(f.LastIndexOf('/') is int s && s >= 0 ? f[..s] : "")
            && PickleExtensions.Any(e => f.EndsWith(e, StringComparison.Ordinal)) && !f.EndsWith("training_args.bin", StringComparison.Ordinal));
        if (!anyWeights && pickle is not null)
            throw new HubException($"{id}: has no safetensors or pytorch_model.bin / adapter_model.bin weights, only {pickle}; Skald reads those two: convert them, e.g. in Python "
                + $"AutoModel.from_pretrained(\"{id.Repo}\").save_pretrained(\"DIR\", safe_serialization=True) and pass DIR, or use the hub's safetensors conversion");
        return chosen;
    }

    /// <summary>
    /// The third round, once <see cref="Rest"/>'s files are in <paramref name="snapshot"/>: the shards that the
    /// <c>pytorch_model.bin.index.json</c> of a module folder without safetensors (<c>2_Dense/</c>) names; that index is
    /// not among the first round's top-level files, so <see cref="Rest"/> could not read it.
    /// </summary>
    public static IReadOnlyList<string> Shards(IReadOnlyList<string> files, string snapshot)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (string module in ModulePaths(Path.Combine(snapshot, "modules.json"))) folders.Add(module.Trim('/'));
        return [.. TorchModules(files, folders).SelectMany(m => TorchWeights(files, snapshot, m + "/"))];
    }

    /// <summary>The module folders (not the top level) that hold no safetensors file.</summary>
    private static IEnumerable<string> TorchModules(IReadOnlyList<string> files, HashSet<string> folders) =>
        folders.Where(m => m.Length > 0 && !files.Any(f => f.StartsWith(m + "/", StringComparison.Ordinal) && !f[(m.Length + 1)..].Contains('/')
            && f.EndsWith(".safetensors", StringComparison.Ordinal)));

    /// <summary>
    /// The torch.save weights of the folder <paramref name="prefix"/> (<c>""</c> or <c>"2_Dense/"</c>) when it has no
    /// safetensors: the shards <c>pytorch_model.bin.index.json</c> names, else <c>pytorch_model.bin</c> and
    /// <c>adapter_model.bin</c>. Skald reads them without running anything (Skald.Models' TorchStateDict).
    /// </summary>
    private static List<string> TorchWeights(IReadOnlyList<string> files, string snapshot, string prefix)
    {
        string index = Path.Combine(snapshot, prefix, "pytorch_model.bin.index.json");
        if (File.Exists(index))
        {
            using var doc = Read(index);
            if (doc?.RootElement.TryGetProperty("weight_map", out var map) == true && map.ValueKind == JsonValueKind.Object)
                return [.. map.EnumerateObject().Select(p => p.Value.GetString()).OfType<string>()
                    .Where(f => CacheSafe(f) && files.Contains(prefix + f)).Select(f => prefix + f).Distinct(StringComparer.Ordinal)];
        }
        return [.. files.Where(f => f == prefix + "pytorch_model.bin" || f == prefix + "adapter_model.bin")];
    }

    private static IEnumerable<string> TopLevelWeights(IReadOnlyList<string> files, string snapshot)
    {
        string index = Path.Combine(snapshot, "model.safetensors.index.json");
        if (File.Exists(index))
        {
            using var doc = Read(index);
            if (doc?.RootElement.TryGetProperty("weight_map", out var map) == true && map.ValueKind == JsonValueKind.Object)
                return map.EnumerateObject().Select(p => p.Value.GetString()).OfType<string>()
                    .Where(f => CacheSafe(f) && files.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        }
        string[] named = [.. files.Where(f => f is "model.safetensors" or "adapter_model.safetensors")];
        if (named.Length > 0) return named;
        return files.Where(f => !f.Contains('/') && f.EndsWith(".safetensors", StringComparison.Ordinal));
    }

    private static IEnumerable<string> ModulePaths(string modulesJson)
    {
        using var doc = File.Exists(modulesJson) ? Read(modulesJson) : null;
        if (doc is null || doc.RootElement.ValueKind != JsonValueKind.Array) return [];
        return doc.RootElement.EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.Object && m.TryGetProperty("path", out var p) ? p.GetString() : null)
            .OfType<string>().Where(p => p.Length > 0 && CacheSafe(p)).ToList();
    }

    private static bool CacheSafe(string name) => HubCache.IsSafeFileName(name.Trim('/'));

    private static JsonDocument? Read(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException)
        {
            return null; // the model loader names the broken file
        }
    }
}
