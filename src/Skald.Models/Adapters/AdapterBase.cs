using System.Text.Json;
using Skald.Hub;
using Skald.Models.Modules;
using Skald.Tokenizers.Serialization;

namespace Skald.Models.Adapters;

/// <summary>
/// A PEFT adapter folder given where a model goes (<see cref="ModelFolder.IsAdapterFolder"/>: a LoRA run's
/// <c>final/</c>, an LLM2Vec MNTP repository) loads as its base model with the adapter merged on top, as
/// <c>AutoModel.from_pretrained(adapter)</c> does with peft installed and <c>PeftModel</c> / sentence-transformers do:
/// the base is adapter_config.json's <c>base_model_name_or_path</c>, a folder (absolute, or relative to the adapter
/// folder, else to the working directory as transformers reads it, else to the adapter folder's parent or a folder above
/// it: peft records the path as given, relative to where training ran, the folder the run's output went into or one
/// above it) or a hub id resolved as a model's
/// (<see cref="HubResolver.Locate"/>: the cache, a download, its offline behaviour). A base that is itself an adapter
/// folder is resolved the same way. Adapters a Skald run trained on top of (<c>model.adapters</c>), which peft has no
/// field for, are listed in <see cref="ChainFile"/> beside the adapter and merged before it.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/models/auto/auto_factory.py
/// (from_pretrained: find_adapter_config_file, then base_model_name_or_path).</remarks>
public static partial class AdapterBase
{
    /// <summary>
    /// The file beside an adapter that names the adapters merged into the base before it was trained
    /// (<c>{"adapters": [folder or hub id, ...]}</c>, in order; a folder relative to the adapter folder or absolute).
    /// </summary>
    public const string ChainFile = "skald_base_adapters.json";

    /// <summary>The adapter_config.json key naming the base model.</summary>
    public const string BaseKey = "base_model_name_or_path";

    /// <summary>
    /// <paramref name="model"/> and <paramref name="adapters"/> unchanged when <paramref name="model"/> is no adapter
    /// folder; otherwise its base model and, in order, the adapters recorded in its <see cref="ChainFile"/>, the adapter
    /// folder itself, then <paramref name="adapters"/> (a chain <c>--model ADAPTER --adapters MORE</c>). A base that
    /// cannot be found is a <see cref="ModelFormatException"/> naming adapter_config.json, the key and its value. With
    /// <paramref name="cachedOnly"/>, hub ids are found in the hub cache only (<see cref="HubResolver.LocateCached"/>:
    /// no request to the hub), and one the cache lacks is a <see cref="HubException"/> naming the file and the key.
    /// </summary>
    public static (string Model, IReadOnlyList<string> Adapters) Expand(string model, IReadOnlyList<string>? adapters, bool cachedOnly = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!ModelFolder.IsAdapterFolder(model)) return (model, adapters ?? []);
        var chain = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? naming = null; // the adapter_config.json that named this folder as its base
        while (ModelFolder.IsAdapterFolder(model))
        {
            if (!seen.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(model))))
                throw new ModelFormatException($"{naming}: {BaseKey} leads back to {model} (the adapter folders name each other as their base)");
            naming = Path.Combine(model, PeftAdapters.ConfigFile);
            var earlier = Earlier(model, cachedOnly);
            chain.InsertRange(0, [.. earlier, model]);
            model = Base(model, earlier, cachedOnly);
        }
        return (model, [.. chain, .. adapters ?? []]);
    }

    /// <summary>
    /// The base of the adapter folder <paramref name="adapter"/> (a sentence-transformers Transformer module saved with
    /// its peft adapter) and the adapters to merge into it, in order: those of a base that is itself an adapter folder,
    /// those <see cref="ChainFile"/> names, then <paramref name="adapter"/> (hub ids as <see cref="Expand"/> finds them).
    /// </summary>
    public static (string Model, IReadOnlyList<string> Adapters) ExpandModule(string adapter, bool cachedOnly = false)
    {
        var earlier = Earlier(adapter, cachedOnly);
        var (model, before) = Expand(Base(adapter, earlier, cachedOnly), null, cachedOnly);
        return (model, [.. before, .. earlier, adapter]);
    }

    /// <summary>
    /// The text of <see cref="ChainFile"/> for an adapter saved to <paramref name="folder"/> on top of
    /// <paramref name="earlier"/>: local folders relative to <paramref name="folder"/> (the two move together), others as given.
    /// </summary>
    public static string ChainJson(string folder, IReadOnlyList<string> earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        string at = Path.GetFullPath(folder);
        var names = earlier.Select(a => Directory.Exists(a) ? Path.GetRelativePath(at, Path.GetFullPath(a)).Replace('\\', '/') : a).ToArray();
        return JsonSerializer.Serialize(new Dictionary<string, string[]> { ["adapters"] = names }, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// The adapters <paramref name="adapter"/>'s <see cref="ChainFile"/> names, located (hub ids as <see cref="Expand"/>
    /// finds them; empty without the file).
    /// </summary>
    public static IReadOnlyList<string> Earlier(string adapter, bool cachedOnly = false)
    {
        string file = Path.Combine(adapter, ChainFile);
        var found = new List<string>();
        foreach (string name in Recorded(adapter))
        {
            string what = $"{file}: adapters entry \"{name}\" (an adapter merged into the base before this one was trained; {Tried(adapter, name)})";
            string how = $"give the chain yourself with --model BASE --adapters {Hint(adapter, [name])}";
            try
            {
                found.Add(Locate(adapter, name, cachedOnly) ?? throw new ModelFormatException($"{what} is no folder and no hub id: {how}"));
            }
            catch (HubException e) when (cachedOnly)
            {
                throw new HubException($"{file}: adapters entry \"{name}\": {e.Message}", e);
            }
            catch (HubException e)
            {
                throw new ModelFormatException($"{what} could not be loaded ({e.Message}): {how}", e);
            }
        }
        return found;
    }

    /// <summary>
    /// Whether the adapter folder <paramref name="adapter"/> loads as a cross-encoder (a sequence classifier): its
    /// adapter_config.json (or that of an adapter it was trained on top of) has peft's <c>task_type</c> SEQ_CLS, as
    /// <c>AutoPeftModel</c> picks the model class from it, or its base model is a cross-encoder
    /// (<see cref="CrossEncoders.CrossEncoder.IsCrossEncoder"/>). A base that cannot be found is no cross-encoder here
    /// (loading the folder says what is wrong).
    /// </summary>
    public static bool IsCrossEncoder(string adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        if (IsSequenceClassification(adapter)) return true;
        try
        {
            var (model, chain) = Expand(adapter, null);
            return chain.Any(IsSequenceClassification) || CrossEncoders.CrossEncoder.IsCrossEncoder(model);
        }
        catch (Exception e) when (e is ModelFormatException or HubException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the adapter folder's own adapter_config.json has peft's <c>task_type</c> SEQ_CLS: an adapter trained as a
    /// sequence classifier (a cross-encoder), its head usually in modules_to_save. A folder without the file says nothing
    /// (false: loading it names what is missing); a file that is no JSON object, or whose task_type is no string, is one
    /// line naming the file (and key), as loading it would be (<see cref="JsonFiles.ReadObject"/>).
    /// </summary>
    public static bool IsSequenceClassification(string adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        string file = Path.Combine(adapter, PeftAdapters.ConfigFile);
        if (!File.Exists(file)) return false;
        using var doc = JsonFiles.ReadObject(file);
        return JsonFiles.Str(doc.RootElement, "task_type", file) == "SEQ_CLS";
    }

    /// <summary>
    /// Copies the adapter folder <paramref name="adapter"/> (adapter_config.json, adapter_model.safetensors or .bin and its
    /// <see cref="ChainFile"/>) into <paramref name="target"/>, a folder that will be read at <paramref name="finalPath"/>
    /// (a staging folder renamed into place), so that the copy loads as the original does: a base or earlier adapter
    /// named as a folder relative to <paramref name="adapter"/> is written as that folder's full path (base) or relative
    /// to <paramref name="finalPath"/> (earlier adapters, as <see cref="ChainJson"/> writes them); hub ids stay as given.
    /// </summary>
    public static void CopyTo(string adapter, string target, string finalPath)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        string file = Path.Combine(adapter, PeftAdapters.ConfigFile);
        var config = JsonFiles.ReadNodeObject(file);
        if (config[BaseKey] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? name) && Folder(adapter, name) is { } baseFolder)
            config[BaseKey] = baseFolder;
        File.WriteAllText(Path.Combine(target, PeftAdapters.ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        string weights = PeftAdapters.WeightsPath(adapter)
            ?? throw new ModelFormatException($"{adapter}: neither {PeftAdapters.WeightsFile} nor {PeftAdapters.PickleWeightsFile} found");
        File.Copy(weights, Path.Combine(target, Path.GetFileName(weights)), overwrite: true);
        string chain = Path.Combine(target, ChainFile);
        if (File.Exists(chain)) File.Delete(chain);
        var earlier = Recorded(adapter);
        if (earlier.Count > 0) File.WriteAllText(chain, ChainJson(finalPath, [.. earlier.Select(e => Folder(adapter, e) ?? e)]));
    }

    /// <summary>
    /// Rewrites the <see cref="ChainFile"/> of an adapter folder just moved from <paramref name="movedFrom"/> to
    /// <paramref name="folder"/> (a run's final/ renamed into a pipeline stage's output), so that the earlier adapters it
    /// names as folders relative to the old place are named relative to the new one; hub ids stay as given. Without
    /// the file nothing changes.
    /// </summary>
    public static void Moved(string movedFrom, string folder)
    {
        ArgumentNullException.ThrowIfNull(movedFrom);
        ArgumentNullException.ThrowIfNull(folder);
        var earlier = Recorded(folder);
        if (earlier.Count == 0) return;
        string chain = Path.Combine(folder, ChainFile), staged = Checkpoints.StagingPaths.Temp(chain);
        Checkpoints.StagingPaths.Recover(chain);
        File.WriteAllText(staged, ChainJson(folder, [.. earlier.Select(e => Folder(movedFrom, e) ?? e)]), new System.Text.UTF8Encoding(false));
        File.Move(staged, chain, overwrite: true);
    }

    // The entries of an adapter's ChainFile as written, not located (empty without the file); a file of another form is one line.
    private static IReadOnlyList<string> Recorded(string adapter)
    {
        string file = Path.Combine(adapter, ChainFile);
        if (!File.Exists(file)) return [];
        using var doc = JsonFiles.Read(file);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("adapters", out var list)
            || list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || e.GetString()!.Length == 0))
            throw new ModelFormatException($"{file}: expected {{\"adapters\": [folder or hub id, ...]}}");
        return [.. list.EnumerateArray().Select(e => e.GetString()!)];
    }

    // A name recorded in an adapter folder that is a folder (as Locate finds it), as a full path; null for a hub id.
    private static string? Folder(string adapter, string name) =>
        Places(adapter, name).FirstOrDefault(Directory.Exists) is { } folder ? Path.GetFullPath(folder) : null;

    // adapter_config.json's base_model_name_or_path, located; else one line naming the file, the key and the value.
    private static string Base(string adapter, IReadOnlyList<string> earlier, bool cachedOnly)
    {
        string file = Path.Combine(adapter, PeftAdapters.ConfigFile);
        string? value;
        using (var doc = JsonFiles.Read(file))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{file}: expected a JSON object, found {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            value = JsonFiles.Str(doc.RootElement, BaseKey, file);
        }
        string how = $"give the base yourself with --model BASE --adapters {Hint(adapter, earlier)} (model.path and model.adapters in a training config; in the library SentenceEncoder.Load(BASE, adapters))";
        if (string.IsNullOrWhiteSpace(value))
            throw new ModelFormatException($"{file}: {BaseKey} is not set, so the adapter's base model is unknown: {how}");
        try
        {
            return Locate(adapter, value, cachedOnly) ?? throw new ModelFormatException(
                $"{file}: {BaseKey} \"{value}\" is no folder ({Tried(adapter, value)}) and no hub id: {how}");
        }
        catch (HubException e) when (cachedOnly)
        {
            throw new HubException($"{file}: {BaseKey} \"{value}\": {e.Message} (no folder either: {Tried(adapter, value)})", e);
        }
        catch (HubException e)
        {
            throw new ModelFormatException($"{file}: {BaseKey} \"{value}\" could not be loaded ({e.Message}; no folder either: {Tried(adapter, value)}): {how}", e);
        }
    }

    // A folder (Places: absolute; else relative to the adapter folder, the working directory, the adapter folder's
    // parent or a folder above it) or a hub id's snapshot (with cachedOnly the one the cache holds, the hub not asked); null when neither.
    // The folders come first: a relative path peft recorded also reads as an org/name hub id.
    private static string? Locate(string adapter, string name, bool cachedOnly)
    {
        if (Places(adapter, name).FirstOrDefault(Directory.Exists) is { } folder) return folder;
        if (HubId.TryParse(name) is null) return null;
        return cachedOnly ? HubResolver.LocateCached(name) : HubResolver.Locate(name);
    }

    // Where a folder name recorded in an adapter folder is looked for, in order: itself when absolute; else beside the
    // adapter (the folder, as transformers reads it), the working directory (kept as given), then the adapter folder's
    // parent and each folder above it, nearest first (peft records the path relative to where training ran, which is
    // the folder the run's output went into or one above it: a Skald run's adapter is OUTPUT_DIR/final, two or more
    // levels below where `skald train` ran).
    private static IReadOnlyList<string> Places(string adapter, string name)
    {
        if (Path.IsPathRooted(name)) return [name];
        string at = Path.GetFullPath(adapter);
        var places = new List<string> { Path.GetFullPath(Path.Combine(at, name)), name };
        for (string? up = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(at)); up is not null; up = Path.GetDirectoryName(up))
            places.Add(Path.GetFullPath(Path.Combine(up, name)));
        return places;
    }

    // The places Locate looked in, for a line saying the name was not found: those beside the adapter, in the working
    // directory and beside the adapter folder's parent by name, the folders above that in a few words.
    private static string Tried(string adapter, string name)
    {
        var places = Places(adapter, name);
        string tried = "tried " + string.Join(", ", places.Take(3).Select(p => Path.IsPathRooted(p) ? p : $"{p} in the working directory"));
        return places.Count <= 3 ? tried
            : $"{tried} and {name} in every folder above {Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(adapter)))}";
    }

    // What to give --adapters: the earlier adapters, then this one.
    private static string Hint(string adapter, IReadOnlyList<string> earlier) => string.Join(',', [.. earlier, adapter]);
}
