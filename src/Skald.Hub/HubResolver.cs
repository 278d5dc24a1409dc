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
/// in parallel. Files already cached are checked against their blob's name (the sha256 of an LFS file, the git blob id of
/// a small one) on every resolve — hashed only when the blob's size or time changed since it was last checked
/// (<see cref="VerifiedBlobs"/>) — and a damaged blob is removed and fetched again, or, offline, reported in one line. When
/// the hub cannot be asked (offline mode, no network, HTTP 5xx, or it refuses the repository) a snapshot already cached
/// for the revision is used; otherwise the error is one line. Datasets (<see cref="ResolveDataset"/>) resolve the same
/// way into <c>datasets--org--name</c>, fetching only the Parquet files of the split asked for.
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

    /// <summary>
    /// As <see cref="Locate"/>, without the network: a hub id is the snapshot folder the cache holds for its revision
    /// (the commit its ref names, the one the model was last loaded from, or the commit itself), whatever the hub now
    /// has; a hub id the cache lacks is a <see cref="HubException"/> saying so in one line. For checks that must not
    /// ask the hub (an index's model fingerprint), nothing is downloaded, verified or written.
    /// </summary>
    public static string LocateCached(string pathOrId)
    {
        ArgumentNullException.ThrowIfNull(pathOrId);
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || HubId.TryParse(pathOrId) is not { } id) return pathOrId;
        var cache = new HubCache(HubSettings.FromEnvironment().Cache);
        return cache.ReadRef(id) is { } commit && Directory.Exists(cache.SnapshotFolder(id, commit))
            ? cache.SnapshotFolder(id, commit)
            : throw new HubException($"{id}: not in the hub cache {cache.Root} (load the model once to fetch it)");
    }

    /// <summary>The snapshot folder of <paramref name="id"/>, downloading what is missing.</summary>
    public string Resolve(HubId id, IProgress<HubProgress>? progress = null) =>
        ResolveAsync(id, progress, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The snapshot folder of <paramref name="id"/>, downloading what is missing.</summary>
    public async Task<string> ResolveAsync(HubId id, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var (snapshot, commit, files) = await SnapshotAsync(id, ct);
        if (files is null)
        {
            VerifyCached(id, snapshot, SnapshotFiles(snapshot));
            return snapshot;
        }
        await Download(id, async () =>
        {
            await FetchAsync(id, commit, ModelFiles.Metadata(files), progress, ct);
            await FetchAsync(id, commit, ModelFiles.Rest(id, files, snapshot), progress, ct);
            await FetchAsync(id, commit, ModelFiles.Shards(files, snapshot), progress, ct);
        });
        return snapshot;
    }

    /// <summary>
    /// <paramref name="pathOrId"/> itself when a file or folder of that name exists or when it is not a dataset reference
    /// (<see cref="DatasetRef"/>); otherwise the local Parquet files of the dataset's split (<paramref name="defaultSplit"/>
    /// when the reference names none), downloaded into the shared cache, with settings from the environment.
    /// </summary>
    public static IReadOnlyList<string> LocateDataset(string pathOrId, string defaultSplit, IProgress<HubProgress>? progress = null)
    {
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || DatasetRef.TryParse(pathOrId) is not { } dataset) return [pathOrId];
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        return resolver.ResolveDataset(dataset, defaultSplit, progress);
    }

    /// <summary>
    /// The local Parquet files (in the cache's <c>datasets--org--name</c> snapshot) of a dataset's split, downloading
    /// only that split's files; offline, the files of the split already cached.
    /// </summary>
    public IReadOnlyList<string> ResolveDataset(DatasetRef dataset, string defaultSplit, IProgress<HubProgress>? progress = null) =>
        ResolveDatasetAsync(dataset, defaultSplit, progress, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="ResolveDataset"/>
    public async Task<IReadOnlyList<string>> ResolveDatasetAsync(DatasetRef dataset, string defaultSplit, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var id = dataset.Id.Type == HubRepoType.Dataset ? dataset.Id : dataset.Id.AsDataset();
        var (snapshot, commit, files) = await SnapshotAsync(id, ct);
        var chosen = DatasetFiles.Select(dataset with { Id = id }, files ?? SnapshotFiles(snapshot), defaultSplit);
        if (files is null) VerifyCached(id, snapshot, chosen);
        else await Download(id, () => FetchAsync(id, commit, chosen, progress, ct));
        return [.. chosen.Select(f => Cache.PointerPath(id, commit, f))];
    }

    /// <summary>
    /// The local files of an evaluation task published as a dataset repository (<see cref="TaskFiles"/>: a retrieval
    /// task's corpus, queries and one split's judgements, else one split's files), downloading only those; offline, the
    /// files already cached.
    /// </summary>
    public HubTaskFiles ResolveTask(DatasetRef dataset, string defaultSplit, IProgress<HubProgress>? progress = null) =>
        ResolveTaskAsync(dataset, defaultSplit, progress, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="ResolveTask"/>
    public async Task<HubTaskFiles> ResolveTaskAsync(DatasetRef dataset, string defaultSplit, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var id = dataset.Id.Type == HubRepoType.Dataset ? dataset.Id : dataset.Id.AsDataset();
        var (snapshot, commit, files) = await SnapshotAsync(id, ct);
        var known = files ?? SnapshotFiles(snapshot);
        var (corpus, queries, data) = TaskFiles.Select(dataset with { Id = id }, known, defaultSplit);
        string[] all = [.. corpus, .. queries, .. data];
        if (files is null) VerifyCached(id, snapshot, all);
        else await Download(id, () => FetchAsync(id, commit, all, progress, ct));
        List<string> Local(IEnumerable<string> names) => [.. names.Select(f => Cache.PointerPath(id, commit, f))];
        return new HubTaskFiles(id, commit, dataset.Subset, dataset.Split ?? defaultSplit, Local(corpus), Local(queries), Local(data))
        {
            Splits = corpus.Count > 0 ? [] : TaskFiles.Splits(dataset, known),
        };
    }

    /// <summary>The cached snapshot folder of the revision (its ref, or the commit itself), or null.</summary>
    public string? Cached(HubId id) =>
        Cache.ReadRef(id) is { } commit && Directory.Exists(Cache.SnapshotFolder(id, commit)) ? Cache.SnapshotFolder(id, commit) : null;

    /// <summary>
    /// The commit <paramref name="id"/> resolves to now, without downloading anything: the hub's answer for its revision
    /// (what a load would fetch), or — offline, without network, or when the hub refuses — the commit of the snapshot
    /// the cache holds for it (what a load would use); null when neither knows it.
    /// </summary>
    public string? Commit(HubId id)
    {
        if (!Settings.Offline)
        {
            try
            {
                return client.RevisionAsync(id, CancellationToken.None).GetAwaiter().GetResult().Commit;
            }
            catch (Exception e) when (e is HubUnreachableException or HubAccessException)
            {
                // as a load does: the cached snapshot below
            }
        }
        return Cached(id) is { } snapshot ? Path.GetFileName(snapshot) : null;
    }

    /// <summary>
    /// The snapshot folder, commit and file list of the revision from the hub (its ref written), or — offline, without
    /// network, or when the hub refuses — the cached snapshot with a null file list; else one line.
    /// </summary>
    private async Task<(string Snapshot, string Commit, IReadOnlyList<string>? Files)> SnapshotAsync(HubId id, CancellationToken ct)
    {
        string kind = id.Type == HubRepoType.Dataset ? "dataset" : "local folder";
        if (Settings.Offline)
            return FromCache(id) ?? throw new HubException($"{id}: no such {kind}, not in the hub cache {Cache.Root}, and HF_HUB_OFFLINE is set (unset it to download)");
        string commit;
        IReadOnlyList<string> files;
        try
        {
            (commit, files) = await client.RevisionAsync(id, ct);
        }
        catch (HubUnreachableException e)
        {
            return FromCache(id) ?? throw new HubException($"{id}: no such {kind}, not in the hub cache {Cache.Root}, and {e.Message}");
        }
        catch (HubAccessException e)
        {
            return FromCache(id) ?? throw new HubException(id.Type == HubRepoType.Dataset ? e.Message : $"no such local folder, and on the hub: {e.Message}");
        }
        Cache.WriteCacheDirTag();
        Cache.WriteRef(id, commit);
        string snapshot = Cache.SnapshotFolder(id, commit);
        Directory.CreateDirectory(snapshot);
        return (snapshot, commit, files);
    }

    private (string, string, IReadOnlyList<string>?)? FromCache(HubId id) =>
        Cached(id) is { } snapshot ? (snapshot, Path.GetFileName(snapshot), null) : null;

    private static async Task Download(HubId id, Func<Task> fetch)
    {
        try
        {
            await fetch();
        }
        catch (HubUnreachableException e)
        {
            throw new HubException($"{id}: {e.Message}; run again to resume");
        }
        catch (HubAccessException e)
        {
            throw new HubException(e.Message);
        }
    }

    /// <summary>The '/'-separated names of the files (links) in a snapshot folder.</summary>
    private static List<string> SnapshotFiles(string snapshot) =>
        [.. Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(snapshot, f).Replace('\\', '/'))];

    /// <summary>
    /// Checks each cached file of <paramref name="files"/> against its blob's name (sha256 or git blob id); a damaged or
    /// missing blob is removed and reported in one line (offline, nothing can be fetched instead).
    /// </summary>
    private void VerifyCached(HubId id, string snapshot, IReadOnlyList<string> files)
    {
        foreach (string f in files)
        {
            if (CachedBlobProblem(id, Path.Combine(snapshot, Path.Combine(f.Split('/')))) is { } problem)
                throw new HubException($"{id}: the cached {f} {problem}; it was removed: run again with the network (HF_HUB_OFFLINE unset) to fetch it again");
        }
    }

    /// <summary>
    /// Null when the snapshot link <paramref name="pointer"/> leads to a blob whose bytes match its name (a copied file,
    /// not a link, is taken as it is); otherwise removes the link (and the damaged blob) and says what was wrong.
    /// </summary>
    private string? CachedBlobProblem(HubId id, string pointer)
    {
        if (new FileInfo(pointer).LinkTarget is not { } target) return null;
        string blob = Path.GetFullPath(target, Path.GetDirectoryName(pointer)!);
        if (!File.Exists(blob))
        {
            File.Delete(pointer);
            return $"is missing its blob {Path.GetFileName(blob)}";
        }
        string etag = Path.GetFileName(blob);
        string record = Cache.VerifiedPath(id, etag);
        if (VerifiedBlobs.IsVerified(record, blob)) return null; // checked before and unchanged since: not hashed again
        if (BlobChecksum.Mismatch(blob, etag) is not { } actual)
        {
            VerifiedBlobs.Record(record, blob);
            return null;
        }
        File.Delete(pointer);
        File.Delete(blob);
        VerifiedBlobs.Forget(record);
        return $"is corrupt (its checksum is {actual}, its blob is named {etag})";
    }

    private async Task FetchAsync(HubId id, string commit, IReadOnlyList<string> files, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        // A cached file is checked against its blob's name; a damaged one is removed here and fetched again below.
        var missing = files.Where(f => !File.Exists(Cache.PointerPath(id, commit, f)) || CachedBlobProblem(id, Cache.PointerPath(id, commit, f)) is not null).ToList();
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
                VerifiedBlobs.Record(Cache.VerifiedPath(id, file.Etag), blob);
            }
            else counter.Add(file.Size);
            HubCache.Link(pointer, blob);
        }
    }

    private ParallelOptions Options(CancellationToken ct) => new() { MaxDegreeOfParallelism = Math.Max(1, Settings.Parallel), CancellationToken = ct };

    /// <inheritdoc/>
    public void Dispose() => client.Dispose();
}
