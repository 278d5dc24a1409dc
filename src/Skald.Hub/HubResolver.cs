namespace Skald.Hub;

/// <summary>
/// Turns a hub id into a local snapshot folder, downloading what a model needs into the shared cache as
/// huggingface_hub's snapshot_download and hf_hub_download do
/// (<see href="https://github.com/huggingface/huggingface_hub/blob/v1.28.0/src/huggingface_hub/_snapshot_download.py">_snapshot_download.py</see>,
/// <see href="https://github.com/huggingface/huggingface_hub/blob/v1.28.0/src/huggingface_hub/file_download.py">file_download.py</see>
/// at v1.28.0): the revision's commit and file list from the API (its ref written to <c>refs/</c>), then per file a
/// HEAD for ETag and size unless its snapshot link exists, the blob fetched under <c>.locks/…/{etag}.lock</c> into
/// <c>blobs/{etag}.incomplete</c> (resumed with a Range request), checked (size; sha256 of an LFS file, git object id of
/// a small one) and moved into <c>blobs/{etag}</c>, then linked from <c>snapshots/{commit}/{file}</c>. Files are fetched
/// in parallel. When the hub cannot be asked (offline mode, no network, HTTP 5xx, or it refuses the repository) a
/// snapshot already cached for the revision is used; otherwise the error is one line.
/// </summary>
public sealed class HubResolver(HubSettings settings) : IDisposable
{
    private readonly HubClient client = new(settings);

    /// <summary>The settings this resolver uses.</summary>
    public HubSettings Settings { get; } = settings;

    /// <summary>The cache layout.</summary>
    public HubCache Cache { get; } = new(settings.Cache);

    /// <summary>
    /// <paramref name="pathOrId"/> itself when a file or folder of that name exists (a local folder wins over a hub id,
    /// as in transformers) or when it is not of the form <c>org/name[@revision]</c>; otherwise the snapshot folder the hub
    /// id resolves to, with settings from the environment.
    /// </summary>
    public static string Locate(string pathOrId, IProgress<HubProgress>? progress = null)
    {
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || HubId.TryParse(pathOrId) is not { } id) return pathOrId;
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        return resolver.Resolve(id, progress);
    }

    /// <summary>The snapshot folder of <paramref name="id"/>, downloading what is missing.</summary>
    public string Resolve(HubId id, IProgress<HubProgress>? progress = null) =>
        ResolveAsync(id, progress, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The snapshot folder of <paramref name="id"/>, downloading what is missing.</summary>
    public async Task<string> ResolveAsync(HubId id, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        if (Settings.Offline)
            return Cached(id) ?? throw new HubException($"{id}: no such local folder, not in the hub cache {Cache.Root}, and HF_HUB_OFFLINE is set (unset it to download)");
        string commit;
        IReadOnlyList<string> files;
        try
        {
            (commit, files) = await client.RevisionAsync(id, ct);
        }
        catch (HubUnreachableException e)
        {
            return Cached(id) ?? throw new HubException($"{id}: no such local folder, not in the hub cache {Cache.Root}, and {e.Message}");
        }
        catch (HubAccessException e)
        {
            return Cached(id) ?? throw new HubException($"no such local folder, and on the hub: {e.Message}");
        }
        Cache.WriteCacheDirTag();
        Cache.WriteRef(id, commit);
        string snapshot = Cache.SnapshotFolder(id, commit);
        Directory.CreateDirectory(snapshot);
        try
        {
            await FetchAsync(id, commit, ModelFiles.Metadata(files), progress, ct);
            await FetchAsync(id, commit, ModelFiles.Rest(id, files, snapshot), progress, ct);
        }
        catch (HubUnreachableException e)
        {
            throw new HubException($"{id}: {e.Message}; run again to resume");
        }
        catch (HubAccessException e)
        {
            throw new HubException(e.Message);
        }
        return snapshot;
    }

    /// <summary>The cached snapshot folder of the revision (its ref, or the commit itself), or null.</summary>
    public string? Cached(HubId id) =>
        Cache.ReadRef(id) is { } commit && Directory.Exists(Cache.SnapshotFolder(id, commit)) ? Cache.SnapshotFolder(id, commit) : null;

    private async Task FetchAsync(HubId id, string commit, IReadOnlyList<string> files, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var missing = files.Where(f => !File.Exists(Cache.PointerPath(id, commit, f))).ToList();
        if (missing.Count == 0) return;
        var heads = new HubFile[missing.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, missing.Count), Options(ct),
            async (i, c) => heads[i] = await client.HeadAsync(id, commit, missing[i], c));
        var counter = new ProgressCounter(progress, heads.Sum(h => h.Size), heads.Length);
        await Parallel.ForEachAsync(heads, Options(ct), async (file, c) =>
        {
            await FetchFileAsync(id, commit, file, counter, c);
            counter.FileDone();
        });
    }

    private async Task FetchFileAsync(HubId id, string commit, HubFile file, ProgressCounter counter, CancellationToken ct)
    {
        string blob = Cache.BlobPath(id, file.Etag);
        string pointer = Cache.PointerPath(id, commit, file.Name);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        await using (await BlobLock.AcquireAsync(Cache.LockPath(id, file.Etag), ct))
        {
            if (File.Exists(blob) && new FileInfo(blob).Length != file.Size) File.Delete(blob); // a damaged blob is fetched again
            if (!File.Exists(blob))
            {
                string incomplete = blob + ".incomplete";
                if (File.Exists(incomplete)) counter.Add(Math.Min(new FileInfo(incomplete).Length, file.Size));
                await client.DownloadAsync(id, file, incomplete, counter.Add, ct);
                BlobChecksum.Verify(id, file, incomplete);
                File.Move(incomplete, blob);
            }
            else counter.Add(file.Size);
            HubCache.Link(pointer, blob);
        }
    }

    private ParallelOptions Options(CancellationToken ct) => new() { MaxDegreeOfParallelism = Math.Max(1, Settings.Parallel), CancellationToken = ct };

    /// <inheritdoc/>
    public void Dispose() => client.Dispose();
}
