using Skald.Cli.Output;
using Skald.Hub;

namespace Skald.Cli.IO;

/// <summary>
/// A model or adapter given as a hub id (<c>org/name[@revision]</c>, when no such folder exists) resolved in the Hugging
/// Face cache before the verb loads it, with a download bar on a terminal (<see cref="ProgressView"/>).
/// </summary>
internal static class HubModels
{
    /// <summary>The local folder for <paramref name="pathOrId"/> (itself unless it is a hub id that is not a folder).</summary>
    public static string Resolve(string pathOrId, bool quiet)
    {
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || HubId.TryParse(pathOrId) is not { } id) return pathOrId;
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        return ProgressView.Run($"downloading {id}", !resolver.Settings.Offline, quiet, bar =>
            resolver.Resolve(id, new Reporter(p => bar.Report(p.Bytes, p.TotalBytes, $"{p.Files}/{p.TotalFiles} files"))));
    }

    /// <summary>Each item of a comma-separated list resolved (adapters).</summary>
    public static List<string> ResolveAll(IEnumerable<string> items, bool quiet) => [.. items.Select(i => Resolve(i, quiet))];

    private sealed class Reporter(Action<HubProgress> report) : IProgress<HubProgress>
    {
        public void Report(HubProgress value) => report(value);
    }
}
