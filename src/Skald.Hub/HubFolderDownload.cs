namespace Skald.Hub;

/// <summary>
/// The files under one folder of a hub repository, fetched as plain files (not into the cache): how a training run on
/// a fresh machine picks up the last checkpoint an earlier run pushed (transformers' <c>hub_strategy="checkpoint"</c>
/// and <c>resume_from_checkpoint</c> of its <c>last-checkpoint</c> folder). Resolved and downloaded as any hub file is
/// (<see cref="HubClient"/>: one commit for every file, resumable transfers, retries).
/// </summary>
public static class HubFolderDownload
{
    /// <summary>
    /// Downloads every file under <paramref name="folder"/>/ of <paramref name="repo"/>'s default branch into
    /// <paramref name="target"/> (created, files replaced), keeping their paths below the folder; returns how many,
    /// 0 when the repository, or the folder in it, does not exist.
    /// </summary>
    public static int Download(HubSettings settings, string repo, string folder, string target, CancellationToken ct = default) =>
        DownloadAsync(settings, repo, folder, target, ct).GetAwaiter().GetResult();

    /// <inheritdoc cref="Download"/>
    public static async Task<int> DownloadAsync(HubSettings settings, string repo, string folder, string target, CancellationToken ct = default)
    {
        var id = HubId.TryParse(repo) ?? throw new HubException($"'{repo}' is not a hub repository id (org/name)");
        using var client = new HubClient(settings);
        string commit;
        IReadOnlyList<string> files;
        try
        {
            (commit, files) = await client.RevisionAsync(id, ct);
        }
        catch (HubAccessException)
        {
            return 0; // no such repository (yet): nothing was pushed
        }
        string prefix = folder.TrimEnd('/') + "/";
        var wanted = files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var name in wanted)
        {
            string relative = name[prefix.Length..];
            if (relative.Split('/').Any(part => part is "" or "." or ".."))
                throw new HubException($"{id}: {name} is not a plain path below {folder}");
            string path = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var file = await client.HeadAsync(id, commit, name, ct);
            string incomplete = path + ".incomplete";
            await client.DownloadAsync(id, file, incomplete, _ => { }, ct);
            File.Move(incomplete, path, overwrite: true);
        }
        return wanted.Count;
    }
}
