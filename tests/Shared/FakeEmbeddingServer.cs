using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Skald.Tests;

/// <summary>
/// A local stand-in for an OpenAI-compatible <c>POST /v1/embeddings</c> API, on 127.0.0.1 only (HttpListener). A text's
/// embedding is deterministic: a bag of its lower-cased words, each word hashed (SHA-256) to a ±1 in one of
/// <see cref="Dimension"/> slots, normalised, so texts sharing words are similar (a tiny retrieval task has a real
/// answer). Every request is counted; a script chooses per request number (1, 2, ...) whether to answer, send 429
/// with Retry-After, 500, or 401; with <see cref="ApiKey"/> set, a request without that Bearer key gets 401. Usage
/// counts one token per word (at least one per input). Answers in float or base64 as the request asks.
/// </summary>
internal sealed class FakeEmbeddingServer : LocalHttpServer
{
    /// <summary>What to answer.</summary>
    public enum Reply { Good, TooMany, ServerError, Unauthorized }

    private readonly Func<int, Reply> script;
    private int requests, texts, answered, tooMany;

    /// <summary>A server answering by <paramref name="script"/> (null: always good).</summary>
    public FakeEmbeddingServer(Func<int, Reply>? script = null, int dimension = 64)
    {
        this.script = script ?? (_ => Reply.Good);
        Dimension = dimension;
    }

    /// <summary>Base URL to give the client (up to /v1).</summary>
    public string Url => Endpoint + "/v1";

    /// <summary>Embedding width.</summary>
    public int Dimension { get; }

    /// <summary>When set, requests must carry <c>Authorization: Bearer KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// When set, a request with a text of more words than this is refused as skald serve refuses an input over the
    /// model's maximum without --truncate: HTTP 400, code <c>context_length_exceeded</c>.
    /// </summary>
    public int? MaxWords { get; set; }

    /// <summary>Delay before every good answer, in milliseconds (a slow endpoint: requests stay in flight).</summary>
    public int ReplyDelayMs { get; set; }

    /// <summary>Called with each request's number (1 the first) before a good answer, and awaited: a test's hook to hold
    /// a reply back (until Ctrl-C is sent, say, so the run cannot end before it).</summary>
    public Func<int, Task>? Holding { get; set; }

    /// <summary>Good answers sent (their requests complete).</summary>
    public int Answered => Volatile.Read(ref answered);

    /// <summary>429 answers written whole (the client has them, or is about to: its Retry-After wait starts then).</summary>
    public int TooManyAnswered => Volatile.Read(ref tooMany);

    /// <summary>Requests received (all of them, failed ones included).</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Texts embedded in answered requests.</summary>
    public int Texts => Volatile.Read(ref texts);

    /// <summary>Tokens the server counts for a text (its words, at least one).</summary>
    public static int TokenCount(string text) => Math.Max(1, Words(text).Length);

    /// <summary>The embedding the server gives <paramref name="text"/>.</summary>
    public static float[] Embed(string text, int dimension = 64)
    {
        var v = new float[dimension];
        foreach (var w in Words(text))
        {
            var h = SHA256.HashData(Encoding.UTF8.GetBytes(w));
            v[BitConverter.ToUInt32(h, 0) % (uint)dimension] += (h[4] & 1) == 0 ? 1f : -1f;
        }
        if (v.All(x => x == 0)) v[0] = 1;
        float norm = MathF.Sqrt(v.Sum(x => x * x));
        for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return v;
    }

    private static string[] Words(string text) =>
        text.ToLowerInvariant().Split([' ', '\t', '\n', '.', ',', '?', '!', ':', ';'], StringSplitOptions.RemoveEmptyEntries);

    /// <inheritdoc/>
    protected override async Task HandleAsync(HttpListenerContext ctx)
    {
        int n = Interlocked.Increment(ref requests);
        var res = ctx.Response;
        string body = await new StreamReader(ctx.Request.InputStream, Encoding.UTF8).ReadToEndAsync();
        var reply = script(n);
        if (ApiKey is not null && ctx.Request.Headers["Authorization"] != "Bearer " + ApiKey) reply = Reply.Unauthorized;
        switch (reply)
        {
            case Reply.TooMany:
                await TooManyRequestsAsync(res);
                Interlocked.Increment(ref tooMany);
                return;
            case Reply.ServerError:
                await ServerErrorAsync(res);
                return;
            case Reply.Unauthorized:
                await WriteAsync(res, 401, "{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");
                return;
        }
        if (ctx.Request.Url?.AbsolutePath != "/v1/embeddings")
        {
            await WriteAsync(res, 404, "{\"error\":{\"message\":\"no such route\"}}");
            return;
        }
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var input = root.GetProperty("input");
        string[] items = input.ValueKind == JsonValueKind.String ? [input.GetString()!] : [.. input.EnumerateArray().Select(e => e.GetString()!)];
        int tooLong = MaxWords is { } most ? Array.FindIndex(items, t => Words(t).Length > most) : -1;
        if (tooLong >= 0)
        {
            await WriteAsync(res, 400, JsonSerializer.Serialize(new
            {
                error = new
                {
                    message = $"input[{tooLong}] is longer than the model's maximum of {MaxWords} tokens",
                    type = "invalid_request_error", param = "input", code = "context_length_exceeded",
                },
            }));
            return;
        }
        if (Holding is { } hold) await hold(n);
        if (ReplyDelayMs > 0) await Task.Delay(ReplyDelayMs);
        bool base64 = root.TryGetProperty("encoding_format", out var f) && f.GetString() == "base64";
        Interlocked.Add(ref texts, items.Length);
        int tokens = items.Sum(TokenCount);
        var data = items.Select((t, i) =>
        {
            var v = Embed(t, Dimension);
            object embedding = base64 ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()).ToArray()) : v;
            return new { @object = "embedding", index = i, embedding };
        }).ToArray();
        res.StatusCode = 200;
        res.ContentType = "application/json";
        await WriteAsync(res, JsonSerializer.Serialize(new
        {
            @object = "list", data, model = root.TryGetProperty("model", out var m) ? m.GetString() : "fake",
            usage = new { prompt_tokens = tokens, total_tokens = tokens },
        }));
        Interlocked.Increment(ref answered);
    }
}
