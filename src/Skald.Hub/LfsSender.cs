namespace Skald.Hub;

/// <summary>
/// Sends the large files an LFS batch answer asks for from several workers at once, as huggingface_hub does
/// (<see href="https://github.com/huggingface/huggingface_hub/blob/ee0a4510f4bc15e26cb722be2efc2bdb01383ca0/src/huggingface_hub/_commit_api.py">_commit_api.py</see>
/// <c>_upload_lfs_files</c> maps the files over a pool of threads; <c>upload_large_folder</c> runs
/// <c>num_workers</c> workers,
/// <see href="https://github.com/huggingface/huggingface_hub/blob/ee0a4510f4bc15e26cb722be2efc2bdb01383ca0/src/huggingface_hub/_upload_large_folder.py">_upload_large_folder.py</see>):
/// files go in parallel, and so do the parts of a multipart upload (lfs.py sends them one after the other; hf_transfer
/// sends them at once), with at most <c>workers</c> storage PUTs in flight in all. Each file is completed (multipart)
/// and verified once all its bytes are accepted. When a file fails no further file or part starts, but the requests in
/// flight run to the end (as a thread pool finishes the tasks it took), so what reached the hub's storage is not sent
/// again by the next run; then the first failure is thrown, naming its file. No commit follows a failure, so none is
/// ever half made.
/// </summary>
internal sealed class LfsSender(HubUploadClient client, string repo, int workers, ProgressCounter progress) : IDisposable
{
    private readonly SemaphoreSlim slots = new(workers, workers);

    /// <summary>Sends every file as its action says; <paramref name="ct"/> stops everything at once.</summary>
    public Task SendAsync(IReadOnlyList<(UploadFile File, LfsAction Action)> files, CancellationToken ct) =>
        StartedAsync(files, async f =>
        {
            await SendFileAsync(f.File, f.Action, ct);
            progress.FileDone();
        });

    private async Task SendFileAsync(UploadFile file, LfsAction action, CancellationToken ct)
    {
        if (client.Parts(repo, file, action) is var (chunk, urls))
        {
            var etags = new string[urls.Count];
            await StartedAsync(Enumerable.Range(0, urls.Count), async i =>
            {
                long offset = i * chunk;
                etags[i] = await PutAsync(urls[i], file, offset, Math.Min(chunk, file.Size - offset), $"part {i + 1} of {file.PathInRepo}", ct)
                    is { Length: > 0 } etag ? etag : throw new HubException($"{repo}: the storage answered part {i + 1} of {file.PathInRepo} without an ETag");
            });
            await client.CompleteAsync(repo, file, action.Href, etags, ct);
        }
        else await PutAsync(action.Href, file, 0, file.Size, $"the bytes of {file.PathInRepo}", ct);
        if (action.Verify is { } verify) await client.VerifyAsync(repo, file, verify, ct);
    }

    /// <summary>One PUT once a slot is free; its bytes count as sent once the storage accepts them.</summary>
    private async Task<string?> PutAsync(string url, UploadFile file, long offset, long length, string what, CancellationToken ct)
    {
        await slots.WaitAsync(ct);
        try
        {
            string? etag = await client.PutAsync(repo, url, file, offset, length, what, ct);
            progress.Add(length);
            return etag;
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// <paramref name="body"/> over <paramref name="items"/>, at most <c>workers</c> at a time. The bodies do not take the
    /// loop's token, which is cancelled on the first failure: the loop starts no further item, those in flight end on
    /// their own, and the first failure is the one thrown.
    /// </summary>
    private Task StartedAsync<T>(IEnumerable<T> items, Func<T, Task> body) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (item, _) => await body(item));

    /// <inheritdoc/>
    public void Dispose() => slots.Dispose();
}
