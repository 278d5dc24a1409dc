using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// The hub's upload routes on <see cref="MockHub"/>, answering as the hub does for huggingface_hub's create_repo,
/// preupload, git-lfs batch (basic and multipart transfers, verify), storage PUTs and the NDJSON commit. Writing needs
/// <see cref="MockHub.Token"/> (<see cref="ReadOnlyToken"/> is refused with 403); LFS objects live in one store shared by
/// every repository, so an object sent once is never asked for again. Faults: <see cref="FailStorage"/> (a PUT answered
/// 500 that many times), <see cref="CommitApplied"/> (a hook between applying a commit and answering it),
/// <see cref="MultipartAbove"/> (larger objects go in parts of <see cref="PartSize"/>), <see cref="StorageGate"/> (PUTs
/// held until that many are in flight, to see uploads overlap; <see cref="MaxStorageInFlight"/>) and
/// <see cref="CommitLimit"/> (a commit of more files is refused with 413 Payload Too Large, as the hub refuses one too
/// large).
/// </summary>
internal sealed partial class MockHub
{
    /// <summary>A token the hub knows but that may not write.</summary>
    public const string ReadOnlyToken = "hf_mock_read_only";

    private readonly ConcurrentDictionary<string, byte[]> lfsStore = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> parts = new(StringComparer.Ordinal);
    private readonly Lock writeLock = new();
    private readonly ManualResetEventSlim gateOpen = new();
    private int arrived, inFlight, maxInFlight, objectsStored;

    /// <summary>Repositories created: (id, visibility or null, type).</summary>
    public ConcurrentQueue<(string Id, string? Visibility, string Type)> Created { get; } = new();

    /// <summary>Commits received: repository key, summary, each line's key and path, and whether it opened a pull request.</summary>
    public ConcurrentQueue<(string Repo, string Summary, List<(string Key, string Path)> Lines, bool PullRequest)> Commits { get; } = new();

    /// <summary>Storage PUTs that were accepted: the object, whether an Authorization header came with it, its Content-Length.</summary>
    public ConcurrentQueue<(string Oid, bool Authorized, long Length)> StoragePuts { get; } = new();

    /// <summary>LFS oids whose storage PUT is answered 500 this many more times.</summary>
    public ConcurrentDictionary<string, int> FailStorage { get; } = new(StringComparer.Ordinal);

    /// <summary>Storage PUTs of an object still to answer with a rate limit: 429 with <c>Retry-After:</c> <see cref="LocalHttpServer.RetryAfterSeconds"/>.</summary>
    public int StorageTooMany
    {
        get => Volatile.Read(ref storageTooMany);
        set => Volatile.Write(ref storageTooMany, value);
    }

    private int storageTooMany;

    /// <summary>When set, storage PUT bodies are read this many bytes at a time with this many milliseconds between reads (a slow link).</summary>
    public (int Bytes, int DelayMs)? StorageThrottle { get; set; }

    /// <summary>Milliseconds a storage PUT waits before reading its body at all (a stalled link).</summary>
    public int StorageHangMs { get; set; }

    /// <summary>
    /// Called with the number of commits applied so far, after a commit is applied and before it is answered (a test
    /// kills the uploader there: the commit landed, its answer never arrived).
    /// </summary>
    public Action<int>? CommitApplied { get; set; }

    /// <summary>
    /// Called with the number of whole objects stored so far (each store its own number), after the object is stored
    /// and before the PUT is answered (a test kills the uploader there, with other PUTs in flight).
    /// </summary>
    public Action<int>? ObjectStored { get; set; }

    /// <summary>Objects larger than this go as a multipart upload (default: never).</summary>
    public long MultipartAbove { get; set; } = long.MaxValue;

    /// <summary>Bytes per part of a multipart upload.</summary>
    public int PartSize { get; set; } = 1000;

    /// <summary>
    /// When set, every storage PUT (a whole object or a part) waits, before reading its body, until this many PUTs have
    /// arrived or 15 s passed (a safety valve, not a measurement; then the gate stays open): a client sending several at
    /// once gets them all in flight together, one sending them one at a time is held once and shows 1 in flight.
    /// </summary>
    public int? StorageGate { get; set; }

    /// <summary>The most storage PUTs that were being answered at the same time.</summary>
    public int MaxStorageInFlight => Volatile.Read(ref maxInFlight);

    /// <summary>
    /// When set, a commit with more file lines than this is refused with 413 Payload Too Large and applied not at all
    /// (the hub's answer to a commit too large; huggingface_hub's _commit_api.py notes the same 413 for too many paths).
    /// </summary>
    public int? CommitLimit { get; set; }

    /// <summary>Commits refused by <see cref="CommitLimit"/>: repository key and how many files each had.</summary>
    public ConcurrentQueue<(string Repo, int Files)> RefusedCommits { get; } = new();

    /// <summary>The files a repository (key: id, or datasets/id) holds now.</summary>
    public IReadOnlyDictionary<string, byte[]> FilesOf(string key)
    {
        lock (writeLock) return repos[key].Files;
    }

    /// <summary>The commit a repository's main branch points to now.</summary>
    public string CommitOf(string key)
    {
        lock (writeLock) return repos[key].Commit;
    }

    /// <summary>Whether the hub stores the LFS object <paramref name="oid"/>.</summary>
    public bool Stores(string oid) => lfsStore.ContainsKey(oid);

    private bool HandleUpload(HttpListenerContext ctx, string path, string[] p)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        string method = req.HttpMethod;
        if (method == "POST" && path == "/api/repos/create") CreateRepo(req, res);
        else if (method == "POST" && p.Length >= 6 && p[0] == "api" && p[1] is "models" or "datasets" && p[4] is "preupload" or "commit")
        {
            string key = (p[1] == "datasets" ? "datasets/" : "") + p[2] + "/" + p[3];
            string revision = Uri.UnescapeDataString(string.Join('/', p[5..]));
            bool pr = req.QueryString["create_pr"] == "1";
            if (p[4] == "preupload") Preupload(req, res, key, revision);
            else Commit(req, res, key, revision, pr);
        }
        else if (method == "GET" && p.Length == 4 && p[0] == "api" && p[1] is "models" or "datasets")
        {
            string key = (p[1] == "datasets" ? "datasets/" : "") + p[2] + "/" + p[3];
            if (Find(req, res, key, "main") is not null) Json(res, 200, new JsonObject());
        }
        else if (method == "POST" && path.EndsWith(".git/info/lfs/objects/batch", StringComparison.Ordinal)) Batch(req, res, RepoKey(path));
        else if (method == "POST" && path.EndsWith(".git/info/lfs/objects/verify", StringComparison.Ordinal)) Verify(req, res);
        else if (p.Length >= 2 && p[0] == "storage") Storage(req, res, p);
        else return false;
        return true;
    }

    private static string RepoKey(string path) => path.TrimStart('/')[..path.TrimStart('/').IndexOf(".git/", StringComparison.Ordinal)];

    private static bool Writes(HttpListenerRequest req, HttpListenerResponse res)
    {
        string? auth = req.Headers["Authorization"];
        if (auth == "Bearer " + Token) return true;
        if (auth == "Bearer " + ReadOnlyToken) Refuse(res, 403, "Forbidden", "You don't have the rights to write to this repository");
        else Refuse(res, 401, "Unauthorized", "Invalid username or password.");
        return false;
    }

    private void CreateRepo(HttpListenerRequest req, HttpListenerResponse res)
    {
        var body = JsonNode.Parse(ReadBody(req))!.AsObject();
        if (!Writes(req, res)) return;
        string name = (string)body["name"]!;
        string? org = (string?)body["organization"];
        string type = (string?)body["type"] ?? "model";
        string id = org is null ? name : org + "/" + name;
        string key = (type == "dataset" ? "datasets/" : "") + id;
        lock (writeLock)
        {
            if (repos.ContainsKey(key))
            {
                Refuse(res, 409, null, "You already created this model repo");
                return;
            }
            // a new repository holds .gitattributes, as the hub's do
            repos[key] = new MockRepo(id, new Dictionary<string, byte[]> { [".gitattributes"] = "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"u8.ToArray() },
                (string?)body["visibility"] == "private", type == "dataset", Sha1("initial commit of " + key));
        }
        Created.Enqueue((id, (string?)body["visibility"], type));
        Json(res, 200, new JsonObject { ["url"] = $"{Endpoint}/{key}" });
    }

    private void Preupload(HttpListenerRequest req, HttpListenerResponse res, string key, string revision)
    {
        var body = JsonNode.Parse(ReadBody(req))!.AsObject();
        if (!Writes(req, res) || Find(req, res, key, revision) is not { } repo) return;
        var answer = new JsonArray();
        foreach (var f in body["files"]!.AsArray())
        {
            string path = (string)f!["path"]!;
            _ = Convert.FromBase64String((string)f["sample"]!); // the sample must be base64
            var entry = new JsonObject { ["path"] = path, ["uploadMode"] = MockRepo.IsLfs(path) ? "lfs" : "regular", ["shouldIgnore"] = path.EndsWith(".ignored", StringComparison.Ordinal) };
            if (repo.Files.TryGetValue(path, out var content)) entry["oid"] = MockRepo.Etag(path, content);
            answer.Add(entry);
        }
        Json(res, 200, new JsonObject { ["files"] = answer });
    }

    private void Batch(HttpListenerRequest req, HttpListenerResponse res, string key)
    {
        var body = JsonNode.Parse(ReadBody(req))!.AsObject();
        if (!Writes(req, res) || Find(req, res, key, "main") is null) return;
        if (req.ContentType != "application/vnd.git-lfs+json" || (string?)body["operation"] != "upload" || (string?)body["hash_algo"] != "sha256")
        {
            Refuse(res, 400, null, "not an LFS upload batch");
            return;
        }
        var objects = new JsonArray();
        foreach (var o in body["objects"]!.AsArray())
        {
            string oid = (string)o!["oid"]!;
            long size = (long)o["size"]!;
            var entry = new JsonObject { ["oid"] = oid, ["size"] = size };
            if (!lfsStore.ContainsKey(oid))
            {
                var verify = new JsonObject { ["href"] = $"{Endpoint}/{key}.git/info/lfs/objects/verify" };
                if (size > MultipartAbove)
                {
                    var header = new JsonObject { ["chunk_size"] = PartSize.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                    for (int i = 1; (long)(i - 1) * PartSize < size; i++) header[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = $"{Endpoint}/storage/{oid}/part/{i}";
                    entry["actions"] = new JsonObject { ["upload"] = new JsonObject { ["href"] = $"{Endpoint}/storage/{oid}/complete", ["header"] = header }, ["verify"] = verify };
                }
                else entry["actions"] = new JsonObject { ["upload"] = new JsonObject { ["href"] = $"{Endpoint}/storage/{oid}" }, ["verify"] = verify };
            }
            objects.Add(entry);
        }
        Json(res, 200, new JsonObject { ["transfer"] = "basic", ["objects"] = objects });
    }

    private void Commit(HttpListenerRequest req, HttpListenerResponse res, string key, string revision, bool pullRequest)
    {
        string text = Encoding.UTF8.GetString(ReadBody(req));
        if (!Writes(req, res) || Find(req, res, key, revision) is not { } repo) return;
        if (req.ContentType != "application/x-ndjson")
        {
            Refuse(res, 400, null, "expected application/x-ndjson");
            return;
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        if (lines.Count == 0 || (string?)lines[0]["key"] != "header")
        {
            Refuse(res, 400, null, "the first line must be the header");
            return;
        }
        if (CommitLimit is { } limit && lines.Count - 1 > limit)
        {
            RefusedCommits.Enqueue((key, lines.Count - 1));
            Refuse(res, 413, null, "Payload Too Large");
            return;
        }
        var files = new Dictionary<string, byte[]>(repo.Files, StringComparer.Ordinal);
        var seen = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            string k = (string)line["key"]!;
            var v = line["value"]!;
            string path = (string)v["path"]!;
            seen.Add((k, path));
            if (k == "deletedFile")
            {
                if (!files.Remove(path))
                {
                    Refuse(res, 404, "EntryNotFound", $"A file with this name doesn't exist ({path})");
                    return;
                }
            }
            else if (k == "file" && (string?)v["encoding"] == "base64") files[path] = Convert.FromBase64String((string)v["content"]!);
            else if (k == "lfsFile" && lfsStore.TryGetValue((string)v["oid"]!, out var blob) && blob.Length == (long)v["size"]!) files[path] = blob;
            else
            {
                Refuse(res, 422, null, $"Your push was rejected because an LFS pointer pointed to a file that does not exist ({path})");
                return;
            }
        }
        string commit = Sha1(repo.Commit + text);
        Commits.Enqueue((key, (string)lines[0]["value"]!["summary"]!, seen, pullRequest));
        if (!pullRequest)
        {
            lock (writeLock)
            {
                var updated = new MockRepo(repo.Id, files, repo.Private, repo.Dataset, commit);
                repos[key] = updated;
                foreach (var (name, content) in files) if (MockRepo.IsLfs(name)) blobs[MockRepo.Etag(name, content)] = (updated, name);
            }
        }
        CommitApplied?.Invoke(Commits.Count);
        Json(res, 200, new JsonObject
        {
            ["commitUrl"] = $"{Endpoint}/{key}/commit/{commit}",
            ["commitOid"] = commit,
            ["pullRequestUrl"] = pullRequest ? $"{Endpoint}/{key}/discussions/1" : null,
        });
    }

    private static byte[] ReadBody(HttpListenerRequest req)
    {
        using var ms = new MemoryStream();
        req.InputStream.CopyTo(ms);
        return ms.ToArray();
    }

    private static void Json(HttpListenerResponse res, int status, JsonNode body)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        res.StatusCode = status;
        res.ContentType = "application/json";
        res.ContentLength64 = bytes.Length;
        res.OutputStream.Write(bytes);
        res.Close();
    }

    private static void Refuse(HttpListenerResponse res, int status, string? code, string message)
    {
        if (code is not null) res.Headers["X-Error-Code"] = code;
        res.Headers["X-Error-Message"] = message;
        Json(res, status, new JsonObject { ["error"] = message });
    }

    private static string Sha1(string text) => Hex(SHA1.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
