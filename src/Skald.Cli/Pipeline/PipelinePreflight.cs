using Skald.Cli.IO;
using Skald.Hub;
using Skald.Retrieval.Remote;
using Skald.Retrieval.Search;

namespace Skald.Cli.Pipeline;

/// <summary>
/// Checks of <c>skald pipeline</c> made before the first stage runs, beside the ones in <see cref="PipelineRunner"/>
/// (a later stage named, a file not found): a model that is neither on disk, nor an earlier stage, nor a hub id (or a
/// hub id that is not in the cache while HF_HUB_OFFLINE is set), and a STAGE/FILE reference to a file that stage does not
/// write. Each is what would fail once the stage came to run, found in one line naming the stage key instead.
/// </summary>
internal static class PipelinePreflight
{
    /// <summary>
    /// Keys whose values are models (or adapters) as the loaders take them: a folder, an earlier stage, or a hub id
    /// <c>org/name[@revision]</c> (<see cref="HubResolver.Locate"/>); a <c>tokenizer</c> key is read as
    /// <c>--tokenizer</c> is (<see cref="TokenizerFile.Resolve"/>: a tokenizer.json, a folder, or a model's hub id).
    /// </summary>
    private static readonly Dictionary<string, string[]> ModelKeys = new(StringComparer.Ordinal)
    {
        ["static"] = ["model", "tokenizer"], ["mlm"] = ["model"], ["train"] = ["model", "adapters"], ["mine_negatives"] = ["model"],
        ["evaluate_generation"] = ["bertscore_model"], ["benchmark"] = ["models"], ["answer"] = ["model", "adapters"],
        ["generate"] = ["tokenizer"], ["new_bert"] = ["tokenizer"],
    };


    /// <summary>Keys whose values are data files or hub datasets <c>org/name[:split]</c> (<see cref="HubResolver.LocateDataset"/>).</summary>
    private static readonly Dictionary<string, string[]> DatasetKeys = new(StringComparer.Ordinal) { ["train"] = ["data"] };

    /// <summary>
    /// What a stage of each type writes under OUTPUT/NAME, as STAGE/FILE may name it: an empty list for a stage whose
    /// output is one file (OUTPUT/NAME.jsonl, .json, .html: named by NAME alone); types not listed write model folders
    /// whose files depend on the model (not checked).
    /// </summary>
    private static readonly Dictionary<string, string[]> Writes = new(StringComparer.Ordinal)
    {
        ["tokenizer"] = ["tokenizer.json"],
        ["new_bert"] = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"],
        ["generate"] = ["corpus.jsonl", "queries.jsonl", "qrels", "qrels/train.tsv", "qrels/test.tsv", "pairs.jsonl", "passages.txt", "train-corpus.jsonl", "suite.json"],
        ["benchmark"] = [], ["mine_negatives"] = [], ["translate"] = [], ["answer"] = [], ["evaluate_generation"] = [],
    };

    /// <summary>
    /// Refuses a STAGE/FILE value of <paramref name="stage"/> whose STAGE is an earlier stage that does not write FILE
    /// (<c>tok/vocab.txt</c> of a tokenizer stage, which writes tokenizer.json only).
    /// </summary>
    public static void StageFiles(StageConfig stage, List<StageConfig> stages)
    {
        var earlier = stages.TakeWhile(s => s != stage).ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var (key, value) in stage.Keys.PathsRead)
        {
            string named = HybridSpec.TryParse(value) is { } hybrid ? hybrid.Model : value;
            int slash = named.IndexOf('/');
            if (slash <= 0 || !earlier.TryGetValue(named[..slash], out var maker) || File.Exists(named) || Directory.Exists(named)) continue;
            if (!Writes.TryGetValue(maker.Type, out var files)) continue;
            string file = named[(slash + 1)..].TrimEnd('/');
            if (files.Contains(file, StringComparer.Ordinal)) continue;
            string what = files.Length == 0
                ? $"stage \"{maker.Name}\" ({maker.Type}) writes one file, named by the stage alone: use {maker.Name}"
                : $"stage \"{maker.Name}\" ({maker.Type}) writes {string.Join(", ", files)}, not {file}";
            throw new InputException($"{stage.Keys.Where(key)}: {stage.Name}.{key}: {named}: {what}");
        }
    }

    /// <summary>
    /// Refuses a model, adapter or data value of <paramref name="stage"/> that is not on disk and that no earlier stage
    /// makes, unless it is of a hub id's form where the loader takes one; a hub id not in the hub cache is refused too
    /// when HF_HUB_OFFLINE is set, as the loader would refuse it.
    /// </summary>
    public static void Models(StageConfig stage, List<StageConfig> stages)
    {
        foreach (var (key, named, id, model) in HubReferences(stage, stages))
        {
            string where = $"{stage.Keys.Where(key)}: {stage.Name}.{key}: {named}";
            if (id is null)
                throw new InputException($"{where} not found (no such file or folder, not a hub {(model ? "id org/name" : "dataset org/name[:split]")}, and no earlier stage makes it)");
            var settings = HubSettings.FromEnvironment();
            if (!settings.Offline) continue; // whether the hub has it is known only by asking it, when the stage runs
            using var resolver = new HubResolver(settings);
            if (resolver.Cached(id) is null)
                throw new InputException($"{where}: no such local folder, not in the hub cache {settings.Cache}, and HF_HUB_OFFLINE is set (unset it to download)");
        }
    }

    /// <summary>
    /// The hub repositories <paramref name="stage"/> loads (models, adapters, datasets named by hub id) with the commit
    /// each resolves to now (<see cref="HubResolver.Commit"/>; "?" when neither the hub nor the cache knows it), as
    /// "model org/name@main=COMMIT" lines in key order: part of the stage's key, so that a new snapshot of a model the
    /// stage loads runs it again.
    /// </summary>
    public static List<string> HubSnapshots(StageConfig stage, List<StageConfig> stages)
    {
        var lines = new List<string>();
        HubResolver? resolver = null;
        try
        {
            foreach (var (_, _, id, _) in HubReferences(stage, stages))
            {
                if (id is null) continue;
                resolver ??= new HubResolver(HubSettings.FromEnvironment());
                lines.Add($"{(id.Type == HubRepoType.Dataset ? "dataset" : "model")} {id.Repo}@{id.Revision}={resolver.Commit(id) ?? "?"}");
            }
        }
        finally
        {
            resolver?.Dispose();
        }
        return lines;
    }

    /// <summary>
    /// The model, adapter and data values of <paramref name="stage"/> (read so far) that are neither on disk nor an
    /// earlier stage's output, each with its hub id (a dataset's typed as one), or a null id when it is not of a hub id's form.
    /// </summary>
    private static IEnumerable<(string Key, string Named, HubId? Id, bool Model)> HubReferences(StageConfig stage, List<StageConfig> stages)
    {
        var earlier = stages.TakeWhile(s => s != stage).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in stage.Keys.PathsRead)
        {
            bool model = Has(ModelKeys, stage.Type, key), dataset = Has(DatasetKeys, stage.Type, key);
            if (!model && !dataset) continue;
            string named = value;
            if (value.Equals("bm25", StringComparison.OrdinalIgnoreCase) && stage.Type is "mine_negatives" or "benchmark") continue;
            if (stage.Type == "benchmark")
            {
                if (RemoteModelSpec.IsRemote(value) || value.Contains('>', StringComparison.Ordinal)) continue; // an API, or FIRST>CE
                if (HybridSpec.TryParse(value) is { } hybrid) named = hybrid.Model;
            }
            int slash = named.IndexOf('/');
            if (earlier.Contains(slash > 0 ? named[..slash] : named) || Directory.Exists(named) || File.Exists(named)) continue;
            yield return (key, named, model ? HubId.TryParse(named) : DatasetRef.TryParse(named)?.Id, model);
        }
    }

    private static bool Has(Dictionary<string, string[]> keys, string type, string key) => keys.TryGetValue(type, out var k) && k.Contains(key);
}
