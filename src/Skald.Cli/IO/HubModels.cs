using Skald.Cli.Output;
using Skald.Evaluation.Data;
using Skald.Hub;

namespace Skald.Cli.IO;

/// <summary>
/// A model or adapter given as a hub id (<c>org/name[@revision]</c>, when no such folder exists), or an evaluation task
/// given as a dataset id, resolved in the Hugging Face cache before the verb loads it, with a download bar on a terminal
/// (<see cref="ProgressView"/>; nothing is drawn when stderr is not a terminal or with --quiet).
/// </summary>
internal static class HubModels
{
    /// <summary>The local folder for <paramref name="pathOrId"/> (itself unless it is a hub id that is not a folder).</summary>
    public static string Resolve(string pathOrId, bool quiet)
    {
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || HubId.TryParse(pathOrId) is not { } id) return pathOrId;
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        return ProgressView.Run($"downloading {id}", !resolver.Settings.Offline, quiet, bar =>
            resolver.Resolve(id, new HubProgressReporter(p => bar.Report(p.Bytes, p.TotalBytes, $"{p.Files}/{p.TotalFiles} files"))));
    }

    /// <summary>
    /// The local task folder or file for <paramref name="pathOrId"/> (itself unless it is a dataset id
    /// <c>org/name[@revision][:[subset/]split]</c> that is not a local path; <see cref="HubTask"/>).
    /// </summary>
    /// <remarks>A path that is neither here nor on the hub is named as both (a mistyped local task folder such as
    /// <c>data/xqad-nb</c> has a hub id's form, and "no such dataset" alone sent the user looking on the hub).</remarks>
    public static string Task(string pathOrId, string split, bool quiet)
    {
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || DatasetRef.TryParse(pathOrId) is not { } dataset) return pathOrId;
        bool offline = HubSettings.FromEnvironment().Offline;
        try
        {
            return ProgressView.Run($"downloading {dataset}", !offline, quiet, bar =>
                HubTask.Resolve(dataset, split, new HubProgressReporter(p => bar.Report(p.Bytes, p.TotalBytes, $"{p.Files}/{p.TotalFiles} files"))));
        }
        catch (HubException e)
        {
            throw new InputException($"{pathOrId}: no such task file or folder (in {Directory.GetCurrentDirectory()}), and as a hub dataset id: {e.Message}");
        }
    }

    /// <summary>
    /// Fetches a training config's hub models, adapters and datasets into the cache with download bars, so that the
    /// run's own resolution (<see cref="HubResolver.Locate"/>, <see cref="HubResolver.LocateDataset"/>) finds them cached.
    /// </summary>
    public static void Prefetch(Skald.Training.Config.TrainingConfig config, bool quiet)
    {
        try
        {
            if (config.Model.Path.Length > 0) Resolve(config.Model.Path, quiet);
        }
        catch (HubException e)
        {
            throw new InputException(config.Model.PathNotFound(e.Message)); // the key named, as the run's own check names it
        }
        foreach (string adapter in config.Model.Adapters)
        {
            try
            {
                Resolve(adapter, quiet);
            }
            catch (HubException e)
            {
                throw new InputException(config.Model.AdapterNotFound(e.Message)); // the key named, as the run's own check names it
            }
        }
        foreach (string train in config.Data.Train) Dataset(train, "train", quiet);
        if (config.Data.Eval is { } eval) Dataset(eval, "validation", quiet);
    }

    private static void Dataset(string pathOrId, string split, bool quiet)
    {
        if (File.Exists(pathOrId) || Directory.Exists(pathOrId) || DatasetRef.TryParse(pathOrId) is not { } dataset) return;
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        ProgressView.Run($"downloading {dataset}", !resolver.Settings.Offline, quiet, bar =>
            resolver.ResolveDataset(dataset, split, new HubProgressReporter(p => bar.Report(p.Bytes, p.TotalBytes, $"{p.Files}/{p.TotalFiles} files"))));
    }

    /// <summary>Each item of a comma-separated list resolved (adapters).</summary>
    public static List<string> ResolveAll(IEnumerable<string> items, bool quiet) => [.. items.Select(i => Resolve(i, quiet))];
}
