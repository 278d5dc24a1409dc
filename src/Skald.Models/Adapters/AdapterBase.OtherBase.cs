using Skald.Hub;

namespace Skald.Models.Adapters;

/// <summary>Saying so when an adapter is merged into a base other than the one it was trained on.</summary>
public static partial class AdapterBase
{
    /// <summary>
    /// One <c>note:</c> line (<see cref="ModelNotices.Report"/>) for each of <paramref name="adapters"/> (in merge order)
    /// merged into a base other than the one it records: its adapter_config.json's <c>base_model_name_or_path</c>,
    /// located as <see cref="Expand"/> locates it (hub ids in the cache only, the hub not asked), is none of
    /// <paramref name="bases"/> (the model folder loaded first, then other folders that stand for it: its Transformer
    /// module, the base an adapter module names) nor an adapter merged before it; or a config.json beside the adapter (an
    /// LLM2Vec repository, the base's own) has a <c>model_type</c> other than the base's. peft warns of neither and
    /// merges the tensors wherever the shapes fit; so does Skald, and says so.
    /// </summary>
    public static void NoteOtherBase(IReadOnlyList<string> bases, IReadOnlyList<string> adapters)
    {
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentNullException.ThrowIfNull(adapters);
        if (bases.Count == 0 || adapters.Count == 0) return;
        var known = new HashSet<string>(bases.Select(Full), StringComparer.Ordinal);
        string? baseType = bases.Select(ModelType).FirstOrDefault(t => t is not null);
        foreach (string adapter in adapters)
        {
            string? named = RecordedBase(adapter), other = null;
            if (!string.IsNullOrWhiteSpace(named) && QuietLocate(adapter, named) is var at && (at is null || !known.Contains(Full(at))))
                other = $"its {PeftAdapters.ConfigFile} names the base \"{named}\"{(at is null ? " (not found here)" : at == named ? "" : $" ({at})")}";
            string? type = ModelType(adapter);
            string? kind = type is not null && baseType is not null && type != baseType ? $"model_type {type} (its config.json), the base's {baseType}" : null;
            if (other is not null || kind is not null)
                ModelNotices.Report($"note: {adapter}: {string.Join("; ", new[] { other, kind }.Where(s => s is not null))}; " +
                    $"it is merged into {bases[0]} all the same, as peft does where the shapes fit");
            known.Add(Full(adapter));
        }
    }

    /// <summary>
    /// One <c>note:</c> line when the Stanford ColBERT checkpoint <paramref name="checkpoint"/> records the base it was
    /// trained from (<paramref name="recorded"/>, artifact.metadata's <c>checkpoint</c>) and that base, located here as
    /// an adapter's is (a folder, or a hub id in the cache; the hub not asked), is another kind of encoder: its config.json's
    /// <c>model_type</c> or <c>hidden_size</c> differs from the checkpoint's. The checkpoint's own weights load all the same
    /// (PyLate reads neither the key nor the base); a base found nowhere here says nothing.
    /// </summary>
    public static void NoteStanfordBase(string checkpoint, string? recorded)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (string.IsNullOrWhiteSpace(recorded) || QuietLocate(checkpoint, recorded) is not { } at || Full(at) == Full(checkpoint)) return;
        var differences = new[] { "model_type", "hidden_size" }
            .Select(k => (Key: k, Base: ConfigValue(at, k), Own: ConfigValue(checkpoint, k)))
            .Where(v => v.Base is not null && v.Own is not null && v.Base != v.Own)
            .Select(v => $"{v.Key} {v.Base}, the checkpoint's {v.Own}").ToList();
        if (differences.Count > 0)
            ModelNotices.Report($"note: {checkpoint}: its artifact.metadata names the base \"{recorded}\"{(at == recorded ? "" : $" ({at})")}, whose config.json has " +
                $"{string.Join(" and ", differences)}; the checkpoint's own weights are loaded all the same, as PyLate loads them");
    }

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    // adapter_config.json's base_model_name_or_path as written; null when unset or without the file (loading says). A
    // file that is no JSON object, or whose key is no string, is one line, as Base reads it.
    private static string? RecordedBase(string adapter)
    {
        string file = Path.Combine(adapter, PeftAdapters.ConfigFile);
        if (!File.Exists(file)) return null;
        using var doc = Modules.JsonFiles.ReadObject(file);
        return Modules.JsonFiles.Str(doc.RootElement, BaseKey, file);
    }

    // Locate with the hub cache only, null for a name found nowhere (a path on the machine the adapter was trained on).
    private static string? QuietLocate(string adapter, string name)
    {
        try
        {
            return Locate(adapter, name, cachedOnly: true);
        }
        catch (HubException)
        {
            return null;
        }
    }

    // config.json's model_type in a folder; null without one.
    internal static string? ModelType(string folder) => ConfigValue(folder, "model_type");

    // config.json's model_type (a string) or hidden_size (an integer, as its text) in a folder; null without the file or
    // the key. A file that is no JSON object, or a value of another type, is one line naming the file and key.
    private static string? ConfigValue(string folder, string key)
    {
        string file = Path.Combine(folder, "config.json");
        if (!File.Exists(file)) return null;
        using var doc = Modules.JsonFiles.ReadObject(file);
        return key == "model_type" ? Modules.JsonFiles.Str(doc.RootElement, key, file)
            : Modules.JsonFiles.Int(doc.RootElement, key, file)?.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
