using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Tokenizers.Serialization;

namespace Skald.Hub;

/// <summary>
/// The hub's routes that an upload uses, as huggingface_hub calls them
/// (<see href="https://github.com/huggingface/huggingface_hub/blob/ee0a4510f4bc15e26cb722be2efc2bdb01383ca0/src/huggingface_hub/_commit_api.py">_commit_api.py</see>,
/// <see href="https://github.com/huggingface/huggingface_hub/blob/ee0a4510f4bc15e26cb722be2efc2bdb01383ca0/src/huggingface_hub/lfs.py">lfs.py</see>
/// and hf_api.py's create_repo / create_commit at that commit):
/// <c>POST /api/repos/create</c> (409: it exists), <c>POST /api/{models|datasets}/{repo}/preupload/{revision}</c> (per
/// file: regular or LFS, ignored or not, the oid the branch holds at that path),
/// <c>POST /[datasets/]{repo}.git/info/lfs/objects/batch</c> (git-lfs batch API: where to send each large file, nothing
/// for an object the hub already stores), a PUT of the bytes (one request, or the numbered parts of a multipart
/// upload and a completion POST), the optional verify POST, and <c>POST /api/{models|datasets}/{repo}/commit/{revision}</c>
/// with the NDJSON commit (header, then one line per file). Every request but the commit is retried on transient
/// failures; a refused one becomes one line naming the repository.
/// </summary>
internal sealed class HubUploadClient(HubHttp http)
{
    private const string LfsJson = "application/vnd.git-lfs+json";
    private const string DefaultEndpoint = "https://huggingface.co";

    private HubSettings Settings => http.Settings;

    /// <summary>Creates the repository; true when it was created, false when it already existed.</summary>
    public async Task<bool> CreateRepoAsync(HubRepoType type, string repo, bool? isPrivate, CancellationToken ct)
    {
        int slash = repo.IndexOf('/');
        var payload = new JsonObject { ["name"] = repo[(slash + 1)..], ["organization"] = slash < 0 ? null : repo[..slash] };
        if (isPrivate is { } p) payload["visibility"] = p ? "private" : "public";
        payload["type"] = type == HubRepoType.Dataset ? "dataset" : "model";
        using var response = await http.SendAsync(() => Json(HttpMethod.Post, $"{Settings.Endpoint}/api/repos/create", payload, "application/json"), retry: true, ct);
        if (response.IsSuccessStatusCode) return true;
        int code = (int)response.StatusCode;
        if (code == 409) return false;
        if (code is 401 or 402 or 403 && await ExistsAsync(type, repo, ct)) return false; // no right to create, but it is there
        throw await RefusedAsync(response, repo, "creating the repository");
    }

    /// <summary>For each file (path, size, first 512 bytes): its upload mode, whether the repository's .gitignore drops it, and the oid the branch holds at its path.</summary>
    public async Task<IReadOnlyDictionary<string, (bool Lfs, bool Ignored, string? RemoteOid)>> PreuploadAsync(HubRepoType type, string repo,
        string revision, bool pullRequest, IReadOnlyList<UploadFile> files, CancellationToken ct)
    {
        var modes = new Dictionary<string, (bool, bool, string?)>(StringComparer.Ordinal);
        for (int start = 0; start < files.Count; start += 256)
        {
            var chunk = new JsonArray();
            foreach (var f in files.Skip(start).Take(256))
                chunk.Add(new JsonObject { ["path"] = f.PathInRepo, ["sample"] = Convert.ToBase64String(f.Sample), ["size"] = f.Size });
            string url = $"{Settings.Endpoint}/api/{Collection(type)}/{repo}/preupload/{Uri.EscapeDataString(revision)}" + (pullRequest ? "?create_pr=1" : "");
            using var response = await http.SendAsync(() => Json(HttpMethod.Post, url, new JsonObject { ["files"] = chunk.DeepClone() }, "application/json"), retry: true, ct);
            if (!response.IsSuccessStatusCode) throw await RefusedAsync(response, repo, $"the upload (revision {revision})");
            using var doc = await ReadJsonAsync(response, repo, "preupload", ct);
            if (!doc.RootElement.TryGetProperty("files", out var answered) || answered.ValueKind != JsonValueKind.Array)
                throw new HubException($"{repo}: the hub's preupload answer has no file list ({url})");
            foreach (var f in answered.EnumerateArray())
            {
                string? path = Text(f, "path");
                string? mode = Text(f, "uploadMode");
                if (path is null || mode is not ("lfs" or "regular"))
                    throw new HubException($"{repo}: the hub's preupload answer is malformed (a file without path or uploadMode) ({url})");
                bool ignored = f.TryGetProperty("shouldIgnore", out var ig) && ig.ValueKind == JsonValueKind.True;
                modes[path] = (mode == "lfs", ignored, Text(f, "oid"));
            }
        }
        return modes;
    }

    /// <summary>The git-lfs batch answer for the large files: per oid, the upload and verify actions, or none when the hub already stores the object.</summary>
    public async Task<IReadOnlyDictionary<string, LfsAction?>> LfsBatchAsync(HubRepoType type, string repo, string? revision,
        IReadOnlyList<UploadFile> files, CancellationToken ct)
    {
        var actions = new Dictionary<string, LfsAction?>(StringComparer.Ordinal);
        string url = $"{Settings.Endpoint}/{(type == HubRepoType.Dataset ? "datasets/" : "")}{repo}.git/info/lfs/objects/batch";
        for (int start = 0; start < files.Count; start += 256)
        {
            var objects = new JsonArray();
            foreach (var f in files.Skip(start).Take(256)) objects.Add(new JsonObject { ["oid"] = f.Sha256, ["size"] = f.Size });
            var payload = new JsonObject
            {
                ["operation"] = "upload",
                ["transfers"] = new JsonArray("basic", "multipart"),
                ["objects"] = objects,
                ["hash_algo"] = "sha256",
            };
            if (revision is not null) payload["ref"] = new JsonObject { ["name"] = revision };
            using var response = await http.SendAsync(() => Json(HttpMethod.Post, url, payload, LfsJson, accept: LfsJson), retry: true, ct);
            if (!response.IsSuccessStatusCode) throw await RefusedAsync(response, repo, "the large files (LFS batch)");
            using var doc = await ReadJsonAsync(response, repo, "LFS batch", ct);
            if (!doc.RootElement.TryGetProperty("objects", out var answered) || answered.ValueKind != JsonValueKind.Array)
                throw new HubException($"{repo}: the hub's LFS batch answer has no objects ({url})");
            foreach (var o in answered.EnumerateArray())
            {
                string oid = Text(o, "oid") ?? throw new HubException($"{repo}: the hub's LFS batch answer has an object without oid ({url})");
                if (o.TryGetProperty("error", out var error))
                    throw new HubException($"{repo}: the hub refused large file {oid[..12]}…: {Text(error, "message") ?? error.ToString()}");
                actions[oid] = o.TryGetProperty("actions", out var a) && a.ValueKind == JsonValueKind.Object && a.TryGetProperty("upload", out var up)
                    ? new LfsAction(Href(up, repo), Headers(up), a.TryGetProperty("verify", out var v) ? Href(v, repo) : null)
                    : null;
            }
        }
        return actions;
    }

    /// <summary>
    /// The part addresses of a multipart upload (the action's <c>chunk_size</c> and numbered addresses, as
    /// huggingface_hub's lfs.py <c>_get_sorted_parts_urls</c> reads them) with the part size, or null for one PUT.
    /// </summary>
    public (long Chunk, IReadOnlyList<string> Urls)? Parts(string repo, UploadFile file, LfsAction action)
    {
        if (!action.Header.TryGetValue("chunk_size", out var chunkText)) return null;
        if (!long.TryParse(chunkText, out long chunk) || chunk <= 0)
            throw new HubException($"{repo}: the hub's LFS answer for {file.PathInRepo} has chunk_size \"{chunkText}\", not a positive number");
        var urls = action.Header.Where(h => h.Key.Length > 0 && h.Key.All(char.IsAsciiDigit))
            .OrderBy(h => int.Parse(h.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(h => Fix(h.Value)).ToList();
        if (urls.Count != (file.Size + chunk - 1) / chunk)
            throw new HubException($"{repo}: the hub's LFS answer for {file.PathInRepo} has {urls.Count} part addresses for {file.Size} bytes in parts of {chunk}");
        return (chunk, urls);
    }

    /// <summary>
    /// PUTs <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="offset"/> to the signed
    /// storage address <paramref name="url"/> and returns the answer's ETag (null when it has none); a refusal is one
    /// line naming <paramref name="what"/>, an unreachable storage one naming the file.
    /// </summary>
    public async Task<string?> PutAsync(string repo, string url, UploadFile file, long offset, long length, string what, CancellationToken ct)
    {
        using var response = await SendBytesAsync(url, file, offset, length, ct);
        if (!response.IsSuccessStatusCode) throw await RefusedAsync(response, repo, what);
        return response.Headers.ETag?.Tag ?? HubHttp.Header(response, "ETag");
    }

    /// <summary>Completes a multipart upload of <paramref name="file"/> at <paramref name="href"/> with its parts' ETags, in part order.</summary>
    public async Task CompleteAsync(string repo, UploadFile file, string href, IReadOnlyList<string> etags, CancellationToken ct)
    {
        var parts = new JsonArray();
        for (int i = 0; i < etags.Count; i++) parts.Add(new JsonObject { ["partNumber"] = i + 1, ["etag"] = etags[i] });
        var completion = new JsonObject { ["oid"] = file.Sha256, ["parts"] = parts };
        using var done = await http.SendAsync(() => Json(HttpMethod.Post, href, completion, LfsJson, accept: LfsJson, token: false), retry: true, ct);
        if (!done.IsSuccessStatusCode) throw await RefusedAsync(done, repo, $"completing the upload of {file.PathInRepo}");
    }

    /// <summary>Asks the hub to verify that its storage holds <paramref name="file"/> (the batch answer's verify action).</summary>
    public async Task VerifyAsync(string repo, UploadFile file, string verify, CancellationToken ct)
    {
        var body = new JsonObject { ["oid"] = file.Sha256, ["size"] = file.Size };
        using var response = await http.SendAsync(() => Json(HttpMethod.Post, verify, body, LfsJson, accept: LfsJson), retry: true, ct);
        if (!response.IsSuccessStatusCode) throw await RefusedAsync(response, repo, $"verifying {file.PathInRepo}");
    }

    /// <summary>
    /// Posts the commit, deletions first, then the files (never retried: a lost answer would otherwise commit twice),
    /// and returns its oid, page and pull request. A commit the hub refuses as too large (HTTP 413 Payload Too Large, as
    /// huggingface_hub's _commit_api.py notes the hub answers a request with too many files) is a
    /// <see cref="CommitTooLargeException"/>: the hub applied none of it, so fewer files may be sent again.
    /// </summary>
    public async Task<(string Oid, string Url, string? PullRequest)> CommitAsync(HubRepoType type, string repo, string revision,
        bool pullRequest, string summary, string description, IReadOnlyList<string> deleted, IReadOnlyList<(UploadFile File, bool Lfs)> files,
        CancellationToken ct)
    {
        var ndjson = new StringBuilder();
        ndjson.Append(JsonSerializer.Serialize(new { key = "header", value = new { summary, description } })).Append('\n');
        foreach (string path in deleted) ndjson.Append(JsonSerializer.Serialize(new { key = "deletedFile", value = new { path } })).Append('\n');
        foreach (var (file, lfs) in files)
        {
            string line = lfs
                ? JsonSerializer.Serialize(new { key = "lfsFile", value = new { path = file.PathInRepo, algo = "sha256", oid = file.Sha256, size = file.Size } })
                : JsonSerializer.Serialize(new { key = "file", value = new { content = Convert.ToBase64String(await File.ReadAllBytesAsync(file.FullPath, ct)), path = file.PathInRepo, encoding = "base64" } });
            ndjson.Append(line).Append('\n');
        }
        byte[] body = Encoding.UTF8.GetBytes(ndjson.ToString());
        string url = $"{Settings.Endpoint}/api/{Collection(type)}/{repo}/commit/{Uri.EscapeDataString(revision)}" + (pullRequest ? "?create_pr=1" : "");
        using var response = await http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            Authorize(request);
            return request;
        }, retry: false, ct);
        if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge) // refused whole: nothing of it was applied
            throw new CommitTooLargeException((await RefusedAsync(response, repo, $"the commit of {Counted.Of(files.Count + deleted.Count, "file")} to {revision}")).Message);
        if (!response.IsSuccessStatusCode) throw await RefusedAsync(response, repo, $"the commit to {revision}");
        using var doc = await ReadJsonAsync(response, repo, "commit", ct);
        string oid = Text(doc.RootElement, "commitOid") ?? throw new HubException($"{repo}: the hub's commit answer has no commitOid ({url})");
        return (oid, Text(doc.RootElement, "commitUrl") ?? "", Text(doc.RootElement, "pullRequestUrl"));
    }

    private async Task<bool> ExistsAsync(HubRepoType type, string repo, CancellationToken ct)
    {
        using var response = await http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{Settings.Endpoint}/api/{Collection(type)}/{repo}");
            Authorize(request);
            return request;
        }, retry: true, ct);
        return response.IsSuccessStatusCode;
    }

    private HttpRequestMessage Json(HttpMethod method, string url, JsonNode payload, string contentType, string? accept = null, bool token = true)
    {
        var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(payload, mediaType: new MediaTypeHeaderValue(contentType)) };
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (token) Authorize(request);
        return request;
    }

    /// <summary>
    /// PUTs <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="offset"/> with no limit on the
    /// whole request, only on a stall: when no byte has been read for the settings' timeout (or the storage takes that
    /// long to answer after the last one), the attempt is dropped and retried, then given up with one line.
    /// </summary>
    private async Task<HttpResponseMessage> SendBytesAsync(string url, UploadFile file, long offset, long length, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(Settings.TimeoutSeconds);
        for (int attempt = 0; ; attempt++)
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
            stall.CancelAfter(timeout);
            try
            {
                // the wait before a retry (a Retry-After up to 5 min) puts the stall off: it is no stall
                return await http.SendAsync(() => Put(url, file, offset, length, () => stall.CancelAfter(timeout)), retry: true, stall.Token, streaming: true,
                    waiting: wait => stall.CancelAfter(wait + timeout));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && attempt < Settings.Retries)
            {
                // stalled: a fresh attempt with a fresh connection
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                throw new HubUnreachableException($"sending {file.PathInRepo} stalled (nothing moved for {timeout.TotalSeconds:0} s)", e);
            }
            catch (HubUnreachableException e)
            {
                throw new HubUnreachableException($"sending {file.PathInRepo}: {e.Message}", e); // several files go at once: name this one
            }
        }
    }

    // The storage address is signed: no token goes with the bytes (huggingface_hub sends none either).
    private static HttpRequestMessage Put(string url, UploadFile file, long offset, long length, Action moved)
    {
        var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        stream.Seek(offset, SeekOrigin.Begin);
        var content = new StreamContent(new SliceStream(stream, length, moved), 1 << 16);
        content.Headers.ContentLength = length; // signed storage addresses take no chunked bodies
        return new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (Settings.Token is { } t) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t);
    }

    private string Href(JsonElement action, string repo) =>
        Fix(Text(action, "href") ?? throw new HubException($"{repo}: the hub's LFS batch answer has an action without href"));

    private static Dictionary<string, string> Headers(JsonElement action)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (action.TryGetProperty("header", out var h) && h.ValueKind == JsonValueKind.Object)
            foreach (var p in h.EnumerateObject()) headers[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.ToString();
        return headers;
    }

    // fix_hf_endpoint_in_url: behind a proxy or a mirror, addresses the hub names on huggingface.co go to HF_ENDPOINT.
    private string Fix(string url) =>
        Settings.Endpoint != DefaultEndpoint ? url.Replace(DefaultEndpoint, Settings.Endpoint, StringComparison.Ordinal) : url;

    private static string Collection(HubRepoType type) => type == HubRepoType.Dataset ? "datasets" : "models";

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string repo, string what, CancellationToken ct)
    {
        try
        {
            return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        }
        catch (JsonException)
        {
            throw new HubException($"{repo}: the hub's {what} answer is not JSON ({response.RequestMessage?.RequestUri})");
        }
    }

    /// <summary>One line for a refused request: the status, the hub's error code and message, and what to do about a token.</summary>
    private async Task<Exception> RefusedAsync(HttpResponseMessage response, string repo, string what)
    {
        int code = (int)response.StatusCode;
        if (code >= 500 || code is 408 or 429) return new HubException($"{repo}: {Settings.Endpoint} answered HTTP {code} for {what}; run again to resume (large files already sent are not sent again)");
        string? message = HubHttp.Header(response, "X-Error-Message");
        if (message is null)
        {
            try
            {
                string body = await response.Content.ReadAsStringAsync();
                using var doc = JsonDocument.Parse(body);
                message = Text(doc.RootElement, "error") ?? Text(doc.RootElement, "message");
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
            {
                message = null;
            }
        }
        string detail = message is { Length: > 0 } ? $": {message.ReplaceLineEndings(" ")}" : "";
        string hint = code switch
        {
            401 => Settings.Token is null ? " (no token: set HF_TOKEN or write one to $HF_HOME/token)" : " (the token was refused)",
            403 => " (the token has no write access to this repository or namespace)",
            404 => " (no such repository or revision, or the token cannot see it)",
            _ => "",
        };
        return new HubException($"{repo}: the hub refused {what} (HTTP {code}{detail}){hint}");
    }
}
