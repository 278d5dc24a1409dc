using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Hub;

/// <summary>
/// The hub's HTTP routes that resolving a model uses, as huggingface_hub calls them
/// (<see href="https://github.com/huggingface/huggingface_hub/blob/v1.28.0/src/huggingface_hub/file_download.py">file_download.py
/// at v1.28.0</see>: get_hf_file_metadata, http_get; hf_api's repo_info):
/// <c>GET /api/models/{repo}/revision/{revision}</c> (commit hash and file list; <c>/api/datasets/…</c> for a dataset),
/// <c>HEAD /{repo}/resolve/{commit}/{file}</c> (<c>/datasets/{repo}/resolve/…</c> for a dataset, hf_hub_url's prefix)
/// with <c>Accept-Encoding: identity</c> (ETag from <c>X-Linked-Etag</c> or <c>ETag</c>, size from <c>X-Linked-Size</c> or
/// <c>Content-Length</c>; relative redirects followed, an absolute one names the download address, to which no token
/// is sent when its host differs), and the download GET with <c>Range: bytes=N-</c> to resume. Transient failures
/// (connection errors, timeouts, 408, 429, 5xx) are retried by Skald's one retry pipeline (<see cref="RetryPipeline"/>:
/// exponential back-off, or the wait a Retry-After asks).
/// </summary>
internal sealed class HubClient : IDisposable
{
    private const int MaxResumes = 5; // http_get's _nb_retries: resumes after a dropped body without progress
    private readonly HubHttp http;
    private readonly HubSettings settings;

    public HubClient(HubSettings settings)
    {
        this.settings = settings;
        http = new HubHttp(settings);
    }

    /// <summary>The commit hash <paramref name="id"/>'s revision points to and the repository's file names.</summary>
    public async Task<(string Commit, IReadOnlyList<string> Files)> RevisionAsync(HubId id, CancellationToken ct)
    {
        var url = new Uri($"{settings.Endpoint}/api/{id.ApiCollection}/{id.Repo}/revision/{Uri.EscapeDataString(id.Revision)}");
        var response = await SendAsync(HttpMethod.Get, url, token: true, range: 0, ct);
        for (int hops = 0; (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { IsAbsoluteUri: false } moved && hops < 5; hops++)
        {
            response.Dispose(); // a renamed repository: the hub points to its new name on the same host
            url = new Uri(url, moved);
            response = await SendAsync(HttpMethod.Get, url, token: true, range: 0, ct);
        }
        using var answer = response;
        Check(response, id, null);
        using var doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        var root = doc.RootElement;
        string? sha = root.TryGetProperty("sha", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (!HubId.IsCommitHash(sha)) throw new HubException($"{id}: the hub's answer for revision {id.Revision} has no commit hash ({url})");
        var files = new List<string>();
        if (root.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array)
        {
            foreach (var f in siblings.EnumerateArray())
                if (f.TryGetProperty("rfilename", out var n) && n.GetString() is { } name) files.Add(name);
        }
        return (sha!, files);
    }

    /// <summary>The metadata of <paramref name="file"/> at <paramref name="commit"/> (a HEAD request, relative redirects followed).</summary>
    public async Task<HubFile> HeadAsync(HubId id, string commit, string file, CancellationToken ct)
    {
        string path = string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
        var url = new Uri($"{settings.Endpoint}/{id.UrlPath}/resolve/{commit}/{path}");
        for (int hops = 0; ; hops++)
        {
            using var response = await SendAsync(HttpMethod.Head, url, token: true, range: 0, ct);
            var location = response.Headers.Location;
            bool redirect = (int)response.StatusCode is >= 300 and < 400 && location is not null;
            if (redirect && !location!.IsAbsoluteUri && hops < 5)
            {
                url = new Uri(url, location); // a renamed repository: same host, ask again
                continue;
            }
            if (!redirect) Check(response, id, file);
            string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
            etag = etag?.StartsWith("W/", StringComparison.Ordinal) == true ? etag[2..] : etag;
            etag = etag?.Trim('"');
            long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked
                : redirect ? null : response.Content.Headers.ContentLength;
            string? commitHeader = Header(response, "X-Repo-Commit");
            if (commitHeader is null || string.IsNullOrEmpty(etag) || size is null)
                throw new HubException($"{id}: {url} is not a hub file (no X-Repo-Commit, ETag or size in the answer); check HF_ENDPOINT={settings.Endpoint}");
            var target = redirect ? new Uri(url, location!) : url;
            bool sameHost = string.Equals(target.Authority, url.Authority, StringComparison.OrdinalIgnoreCase);
            return new HubFile(file, etag, size.Value, target, sameHost);
        }
    }

    /// <summary>
    /// Downloads <paramref name="file"/> into <paramref name="incomplete"/>, appending to what an earlier attempt
    /// left there (Range request; a server that answers 200 instead starts the file over), and resuming after a
    /// dropped connection up to five times in a row without progress. Reports every chunk's length to
    /// <paramref name="received"/> (negative when bytes are thrown away).
    /// </summary>
    public async Task DownloadAsync(HubId id, HubFile file, string incomplete, Action<long> received, CancellationToken ct)
    {
        int resumes = MaxResumes;
        var buffer = new byte[1 << 20];
        while (true)
        {
            await using var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
            long have = output.Length;
            if (have > file.Size) { output.SetLength(0); received(-have); have = 0; }
            if (have == file.Size) return;
            output.Seek(have, SeekOrigin.Begin);
            using var response = await SendAsync(HttpMethod.Get, file.Location, file.SendToken, have, ct);
            Check(response, id, file.Name);
            if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                output.SetLength(0);
                received(-have);
                have = 0;
            }
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
                while (true)
                {
                    stall.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
                    int n = await body.ReadAsync(buffer, stall.Token);
                    if (n == 0) break;
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                    received(n);
                    resumes = MaxResumes;
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is IOException or HttpRequestException or OperationCanceledException)
            {
                if (--resumes < 0) throw new HubUnreachableException($"downloading {file.Name} from {file.Location} failed: {e.Message}", e);
                await Task.Delay(200, ct);
                continue;
            }
            if (output.Length != file.Size)
                throw new HubException($"{id}: {file.Name} should have {Counted.Of(file.Size, "byte")} but the hub sent {output.Length} ({file.Location}); run again to resume");
            return;
        }
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, bool token, long range, CancellationToken ct) =>
        http.SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, url);
            if (token && settings.Token is { } t) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (range > 0) request.Headers.Range = new RangeHeaderValue(range, null);
            return request;
        }, retry: true, ct);

    /// <summary>Turns a failed answer into one line (404 repo / revision / file, 401/403 access), or marks the hub unreachable (5xx).</summary>
    private void Check(HttpResponseMessage r, HubId id, string? file)
    {
        if (r.IsSuccessStatusCode) return;
        int code = (int)r.StatusCode;
        string? error = Header(r, "X-Error-Code");
        if (code >= 500 || code is 408 or 429)
            throw new HubUnreachableException($"{settings.Endpoint} answered HTTP {code}");
        if (error == "RevisionNotFound")
            throw new HubException($"{id.Repo}: revision {id.Revision} not found on {settings.Endpoint}");
        if (error == "EntryNotFound" && file is not null)
            throw new HubException($"{id}: file {file} not found on {settings.Endpoint}");
        if (error == "GatedRepo" || code == 403)
            throw new HubAccessException($"{id.Repo}: access denied (HTTP {code}, a gated or private repository); accept its terms on the hub and set HF_TOKEN or write a token to $HF_HOME/token");
        if (code == 401)
            throw new HubAccessException(settings.Token is null
                ? $"{id.Repo}: repository not found or private (HTTP 401); for a private model set HF_TOKEN or write a token to $HF_HOME/token"
                : $"{id.Repo}: repository not found or the token has no access to it (HTTP 401)");
        if (code == 404)
            throw new HubAccessException($"{id.Repo}: {(id.Type == HubRepoType.Dataset ? "dataset" : "repository")} not found on {settings.Endpoint} (HTTP 404); check the id, or set HF_TOKEN for a private {(id.Type == HubRepoType.Dataset ? "dataset" : "model")}");
        throw new HubException($"{id}: the hub answered HTTP {code} for {r.RequestMessage?.RequestUri}");
    }

    private static string? Header(HttpResponseMessage r, string name) => HubHttp.Header(r, name);

    public void Dispose() => http.Dispose();
}
