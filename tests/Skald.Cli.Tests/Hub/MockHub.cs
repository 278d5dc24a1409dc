using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// A stand-in for the Hugging Face hub on 127.0.0.1 (an HttpListener on a free port; nothing else is contacted) serving
/// the routes Skald's resolver uses, answering as the hub does:
/// <c>GET /api/models/{repo}/revision/{rev}</c> (sha + siblings; 404 X-Error-Code RepoNotFound / RevisionNotFound; 401
/// for a private repository without the token; <c>/api/datasets/…</c> for a dataset repository),
/// <c>HEAD|GET /{repo}/resolve/{rev}/{file}</c> (<c>/datasets/{repo}/resolve/…</c> for a dataset; small files: 200 with
/// ETag = git blob id and X-Repo-Commit; LFS files: 302 to the absolute <c>/cdn/{sha256}</c> address with X-Linked-Etag,
/// X-Linked-Size and X-Repo-Commit), and <c>GET /cdn/{sha256}</c> honouring <c>Range: bytes=N-</c> (206). Faults on
/// demand: <see cref="DropOnce"/> (half the body, then the connection is cut), <see cref="Corrupt"/> (one byte flipped),
/// <see cref="TooMany"/> (429 with Retry-After),
/// <see cref="Renamed"/> (a relative 307 to the new id) and <see cref="CdnDelay"/>.
/// Every request is logged (<see cref="Requests"/>).
/// </summary>
internal sealed partial class MockHub : LocalHttpServer
{
    public const string Token = "hf_mock_secret";
    private readonly Dictionary<string, MockRepo> repos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (MockRepo Repo, string Name)> blobs = new(StringComparer.Ordinal);

    public MockHub(params MockRepo[] served)
    {
        foreach (var r in served)
        {
            repos[r.Key] = r;
            foreach (var (name, content) in r.Files) if (MockRepo.IsLfs(name)) blobs[MockRepo.Etag(name, content)] = (r, name);
        }
    }

    /// <summary>"METHOD path [range]" of every request, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>When each request arrived (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>), in arrival order.</summary>
    public ConcurrentQueue<long> Arrivals { get; } = new();

    /// <summary>File names whose next body is cut after half its bytes (then served normally).</summary>
    public ConcurrentDictionary<string, bool> DropOnce { get; } = new();

    /// <summary>File names always served with one byte changed.</summary>
    public ConcurrentDictionary<string, bool> Corrupt { get; } = new();

    /// <summary>Old repository ids answered with a relative 307 to the new id (a renamed repository).</summary>
    public ConcurrentDictionary<string, string> Renamed { get; } = new();

    /// <summary>Requests still to answer with a rate limit: 429 with <c>Retry-After:</c> <see cref="LocalHttpServer.RetryAfterSeconds"/>, as the hub does.</summary>
    public int TooMany { get; set; }

    /// <summary>Milliseconds the CDN route waits before sending a body (to make two downloads overlap).</summary>
    public int CdnDelay { get; set; }

    /// <inheritdoc/>
    protected override Task HandleAsync(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        string path = req.RawUrl!.Split('?')[0];
        Arrivals.Enqueue(System.Diagnostics.Stopwatch.GetTimestamp());
        Requests.Enqueue($"{req.HttpMethod} {path} {req.Headers["Range"]}".TrimEnd());
        if (TooMany > 0)
        {
            TooMany--;
            return TooManyRequestsAsync(res);
        }
        string[] parts = path.TrimStart('/').Split('/');
        if (HandleUpload(ctx, path, parts)) return Task.CompletedTask;
        int at = parts.Length >= 4 && parts[0] == "api" ? 2 : 0;
        if (parts.Length >= at + 2 && Renamed.TryGetValue(parts[at] + "/" + parts[at + 1], out var moved))
        {
            res.StatusCode = 307;
            res.Headers["Location"] = "/" + string.Join('/', [.. parts[..at], moved, .. parts[(at + 2)..]]);
            res.Close();
            return Task.CompletedTask;
        }
        if (parts.Length >= 5 && parts[0] == "api" && parts[1] is ("models" or "datasets") && parts[4] == "revision")
            Revision(req, res, (parts[1] == "datasets" ? "datasets/" : "") + parts[2] + "/" + parts[3], Uri.UnescapeDataString(string.Join('/', parts[5..])));
        else if (parts.Length >= 6 && parts[0] == "datasets" && parts[3] == "resolve")
            Resolve(req, res, "datasets/" + parts[1] + "/" + parts[2], Uri.UnescapeDataString(parts[4]), Uri.UnescapeDataString(string.Join('/', parts[5..])));
        else if (parts.Length >= 5 && parts[2] == "resolve")
            Resolve(req, res, parts[0] + "/" + parts[1], Uri.UnescapeDataString(parts[3]), Uri.UnescapeDataString(string.Join('/', parts[4..])));
        else if (parts.Length == 2 && parts[0] == "cdn" && blobs.TryGetValue(parts[1], out var blob))
        {
            if (CdnDelay > 0 && req.HttpMethod == "GET") Thread.Sleep(CdnDelay);
            Send(req, res, blob.Repo, blob.Name);
        }
        else Error(res, 404, "EntryNotFound");
        return Task.CompletedTask;
    }

    private MockRepo? Find(HttpListenerRequest req, HttpListenerResponse res, string id, string revision)
    {
        if (!repos.TryGetValue(id, out var repo))
        {
            Error(res, 404, "RepoNotFound");
            return null;
        }
        if (repo.Private && req.Headers["Authorization"] != "Bearer " + Token)
        {
            Error(res, 401, "RepoNotFound");
            return null;
        }
        if (revision != "main" && revision != repo.Commit)
        {
            Error(res, 404, "RevisionNotFound");
            return null;
        }
        return repo;
    }

    private void Revision(HttpListenerRequest req, HttpListenerResponse res, string id, string revision)
    {
        if (Find(req, res, id, revision) is not { } repo) return;
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = repo.Id,
            sha = repo.Commit,
            @private = repo.Private,
            siblings = repo.Files.Keys.Order(StringComparer.Ordinal).Select(f => new { rfilename = f }),
        });
        res.ContentType = "application/json";
        res.ContentLength64 = body.Length;
        res.OutputStream.Write(body);
        res.Close();
    }

    private void Resolve(HttpListenerRequest req, HttpListenerResponse res, string id, string revision, string file)
    {
        if (Find(req, res, id, revision) is not { } repo) return;
        if (!repo.Files.TryGetValue(file, out var content))
        {
            res.Headers["X-Repo-Commit"] = repo.Commit;
            Error(res, 404, "EntryNotFound");
            return;
        }
        res.Headers["X-Repo-Commit"] = repo.Commit;
        string etag = MockRepo.Etag(file, content);
        if (MockRepo.IsLfs(file))
        {
            res.Headers["X-Linked-Etag"] = $"\"{etag}\"";
            res.Headers["X-Linked-Size"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            res.Headers["ETag"] = "\"redirect-etag\"";
            res.Redirect($"{Endpoint}/cdn/{etag}");
            res.StatusCode = 302;
            res.Close();
            return;
        }
        res.Headers["ETag"] = $"\"{etag}\"";
        Send(req, res, repo, file);
    }

    private void Send(HttpListenerRequest req, HttpListenerResponse res, MockRepo repo, string file)
    {
        byte[] content = repo.Files[file];
        if (Corrupt.ContainsKey(file))
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0x5A;
        }
        long start = 0;
        if (req.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture);
            res.StatusCode = 206;
            res.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        res.Headers["Accept-Ranges"] = "bytes";
        res.ContentLength64 = content.Length - start;
        if (req.HttpMethod == "HEAD")
        {
            res.Close();
            return;
        }
        if (DropOnce.TryRemove(file, out _))
        {
            int half = (int)(content.Length - start) / 2;
            res.OutputStream.Write(content, (int)start, half);
            res.OutputStream.Flush();
            res.Abort(); // the connection is cut mid-body
            return;
        }
        res.OutputStream.Write(content, (int)start, (int)(content.Length - start));
        res.Close();
    }

    private static void Error(HttpListenerResponse res, int status, string code)
    {
        byte[] body = Encoding.UTF8.GetBytes($"{{\"error\":\"{code}\"}}");
        res.StatusCode = status;
        res.Headers["X-Error-Code"] = code;
        res.ContentLength64 = body.Length;
        res.OutputStream.Write(body);
        res.Close();
    }
}
