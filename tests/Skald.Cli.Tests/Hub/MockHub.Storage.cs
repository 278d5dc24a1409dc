using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Skald.Cli.Tests.Hub;

/// <summary>
/// The storage side of <see cref="MockHub"/>'s upload routes: LFS object and part PUTs (with the faults, throttles and
/// gate described on the upload routes) and the verify call.
/// </summary>
internal sealed partial class MockHub
{
    private void Storage(HttpListenerRequest req, HttpListenerResponse res, string[] p)
    {
        if (req.HttpMethod != "PUT") StorageAnswer(req, res, p);
        else Gated(req, res, p);
    }

    private void Gated(HttpListenerRequest req, HttpListenerResponse res, string[] p)
    {
        int now = Interlocked.Increment(ref inFlight);
        for (int max = Volatile.Read(ref maxInFlight); now > max && Interlocked.CompareExchange(ref maxInFlight, now, max) != max;)
            max = Volatile.Read(ref maxInFlight);
        try
        {
            if (StorageGate is { } gate)
            {
                if (Interlocked.Increment(ref arrived) >= gate) gateOpen.Set();
                gateOpen.Wait(15_000);
                gateOpen.Set();
            }
            StorageAnswer(req, res, p);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private void StorageAnswer(HttpListenerRequest req, HttpListenerResponse res, string[] p)
    {
        string oid = p[1];
        if (StorageHangMs > 0) Thread.Sleep(StorageHangMs);
        byte[] body = StorageThrottle is { } t ? ReadSlowly(req, t.Bytes, t.DelayMs) : ReadBody(req);
        if (req.HttpMethod == "PUT" && p.Length == 2)
        {
            if (StorageTooMany > 0 && Interlocked.Decrement(ref storageTooMany) >= 0)
            {
                TooManyRequestsAsync(res).GetAwaiter().GetResult();
                return;
            }
            if (FailStorage.TryGetValue(oid, out int fails) && fails > 0)
            {
                FailStorage[oid] = fails - 1;
                Refuse(res, 500, null, "storage is down");
                return;
            }
            if (Hex(SHA256.HashData(body)) != oid)
            {
                Refuse(res, 400, null, "content does not match the oid");
                return;
            }
            lfsStore[oid] = body;
            StoragePuts.Enqueue((oid, req.Headers["Authorization"] is not null, req.ContentLength64));
            // numbered by an atomic count of its own: StoragePuts.Count read after the enqueue can skip a number when
            // two stores land together (both then saw 2, and a hook waiting for 1 never ran)
            ObjectStored?.Invoke(Interlocked.Increment(ref objectsStored));
            Json(res, 200, new JsonObject());
        }
        else if (req.HttpMethod == "PUT" && p.Length == 4 && p[2] == "part")
        {
            parts[oid + "/" + p[3]] = body;
            StoragePuts.Enqueue((oid + "/part/" + p[3], req.Headers["Authorization"] is not null, req.ContentLength64));
            res.Headers["ETag"] = $"\"{Hex(MD5.HashData(body))}\"";
            Json(res, 200, new JsonObject());
        }
        else if (req.HttpMethod == "POST" && p.Length == 3 && p[2] == "complete")
        {
            var done = JsonNode.Parse(body)!.AsObject();
            var assembled = new List<byte>();
            foreach (var part in done["parts"]!.AsArray())
            {
                int n = (int)part!["partNumber"]!;
                if (!parts.TryGetValue(oid + "/" + n, out var bytes) || (string)part["etag"]! != $"\"{Hex(MD5.HashData(bytes))}\"")
                {
                    Refuse(res, 400, null, $"part {n} is missing or its etag is wrong");
                    return;
                }
                assembled.AddRange(bytes);
            }
            if ((string?)done["oid"] != oid || Hex(SHA256.HashData([.. assembled])) != oid)
            {
                Refuse(res, 400, null, "assembled parts do not match the oid");
                return;
            }
            lfsStore[oid] = [.. assembled];
            Json(res, 200, new JsonObject());
        }
        else Error(res, 404, "EntryNotFound");
    }

    private void Verify(HttpListenerRequest req, HttpListenerResponse res)
    {
        var body = JsonNode.Parse(ReadBody(req))!.AsObject();
        if (!Writes(req, res)) return;
        if (lfsStore.TryGetValue((string)body["oid"]!, out var content) && content.Length == (long)body["size"]!) Json(res, 200, new JsonObject());
        else Refuse(res, 404, null, "object not found");
    }

    private static byte[] ReadSlowly(HttpListenerRequest req, int bytes, int delayMs)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[bytes];
        int n;
        while ((n = req.InputStream.ReadAtLeast(buffer, bytes, throwOnEndOfStream: false)) > 0)
        {
            ms.Write(buffer, 0, n);
            Thread.Sleep(delayMs);
        }
        return ms.ToArray();
    }
}
