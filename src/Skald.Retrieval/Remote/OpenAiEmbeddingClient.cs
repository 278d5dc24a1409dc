using System.ClientModel;
using System.Globalization;
using OpenAI.Embeddings;
using Polly;
using Polly.Timeout;

namespace Skald.Retrieval.Remote;

/// <summary>
/// Embeds texts with a remote OpenAI-compatible <c>/v1/embeddings</c> API through the official OpenAI .NET SDK, in
/// requests of <see cref="RemoteEmbeddingSettings.BatchSize"/> texts, each inside the shared retry pipeline
/// (<see cref="OpenAiConnection"/>). Counts requests, retries and the input tokens the server reports in
/// <c>usage</c>, and from them the cost. Failures are one-line <see cref="EvaluationException"/>s: a refused key, a
/// wrong URL or model, an endpoint that cannot be reached before it ever answered (not retried), or giving up after the
/// retries. An empty text is sent as one space (the API
/// refuses empty strings). Thread-safe counters; calls may run concurrently. With <see cref="RemoteEmbeddingSettings.Stop"/>
/// (Ctrl-C) set, a request under way finishes, no further one is sent, and a retry's backoff ends at once
/// (<see cref="AttemptStop"/>).
/// </summary>
public sealed class OpenAiEmbeddingClient
{
    private readonly EmbeddingClient client;
    private readonly ResiliencePipeline pipeline;
    private long tokens;
    private readonly RetryTally retries = new();
    private int requests;

    /// <summary>A client for <paramref name="settings"/>.</summary>
    public OpenAiEmbeddingClient(RemoteEmbeddingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(settings), "BatchSize must be at least 1");
        Settings = settings;
        client = new EmbeddingClient(settings.Spec.Model, new ApiKeyCredential(settings.ApiKey),
            OpenAiConnection.ClientOptions(settings.Spec.Endpoint, settings.Timeout));
        pipeline = OpenAiConnection.Pipeline(Math.Max(settings.MaxRetries, 0), settings.RetryDelay, settings.Timeout, retries);
    }

    /// <summary>How the model is called.</summary>
    public RemoteEmbeddingSettings Settings { get; }

    /// <summary>HTTP requests sent (retries included).</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Retries so far.</summary>
    public int Retries => retries.Total;

    /// <summary>Retries so far by reason ("2 retries (2 HTTP 429)").</summary>
    public RetryTally RetryCounts => retries;

    /// <summary>Input tokens the server reported (<c>usage.prompt_tokens</c>) over the successful requests.</summary>
    public long Tokens => Interlocked.Read(ref tokens);

    /// <summary>Cost of those tokens at <see cref="RemoteEmbeddingSettings.PricePerMillionTokens"/>.</summary>
    public double Cost => Tokens / 1e6 * Settings.PricePerMillionTokens;

    /// <summary>Embeds <paramref name="texts"/> (result i belongs to text i), one request per batch.</summary>
    /// <remarks>
    /// With <see cref="RemoteEmbeddingSettings.Stop"/> set (Ctrl-C), no further request is sent: an
    /// <see cref="OperationCanceledException"/>, after the request under way has finished.
    /// </remarks>
    public float[][] Embed(IReadOnlyList<string> texts, Action<int, int>? progress = null)
    {
        using var working = Settings.Stop?.Work();
        var result = new float[texts.Count][];
        int batch = Settings.BatchSize;
        for (int start = 0; start < texts.Count; start += batch)
        {
            int n = Math.Min(batch, texts.Count - start);
            var chunk = new string[n];
            for (int i = 0; i < n; i++) chunk[i] = string.IsNullOrEmpty(texts[start + i]) ? " " : texts[start + i];
            var vectors = Request(chunk);
            Array.Copy(vectors, 0, result, start, n);
            progress?.Invoke(start + n, texts.Count);
        }
        return result;
    }

    private float[][] Request(string[] texts)
    {
        string where = $"{Settings.Spec.Endpoint} (model '{Settings.Spec.Model}')";
        var stop = Settings.Stop?.Token ?? CancellationToken.None;
        // stopping: a request sent finishes, none is sent after it, and a retry's backoff ends at once
        using var attempts = new AttemptStop(stop, CancellationToken.None);
        try
        {
            return pipeline.Execute(ct =>
            {
                if (!attempts.TryBegin()) throw new OperationCanceledException("stopping: no further request", stop);
                try
                {
                    Interlocked.Increment(ref requests);
                    OpenAIEmbeddingCollection reply;
                    try
                    {
                        reply = client.GenerateEmbeddings(texts, new EmbeddingGenerationOptions(), ct).Value;
                    }
                    catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException
                        or ArgumentException or KeyNotFoundException)
                    {
                        throw new UnusableReplyException("unreadable reply", $"the reply is not an embeddings response ({e.Message.Split('\n')[0]})");
                    }
                    return Read(reply, texts.Length);
                }
                finally
                {
                    attempts.End();
                }
            }, attempts.Token);
        }
        catch (ClientResultException e) when (e.InnerException is UnreachableEndpointException u)
        {
            throw new EvaluationException($"{where}: {u.Message}");
        }
        catch (ClientResultException e) when (!OpenAiConnection.IsTransient(e))
        {
            var (said, code) = OpenAiConnection.ServerError(e);
            throw new EvaluationException(e.Status is 401 or 403
                ? $"{where}: the API key was refused (HTTP {e.Status}); set it in the variable --api-key-env names"
                : code == "context_length_exceeded"
                    ? $"{where}: HTTP {e.Status}, a text is longer than the model takes: the server says \"{said}\"; shorten the texts, " +
                      "or have the server truncate them (skald serve --truncate)"
                : e.Status == 404
                    ? OpenAiConnection.NotFound(Settings.Spec.Endpoint, "embeddings", said)
                : said is not null
                    ? $"{where}: HTTP {e.Status}: the server says \"{said}\""
                : $"{where}: HTTP {e.Status} ({FirstLine(e.Message)}); is it an OpenAI-compatible embeddings API (URL up to /v1) and the model name right?");
        }
        catch (Exception e) when (attempts.Stopping && e is ClientResultException or TimeoutRejectedException or HttpRequestException or UnusableReplyException)
        {
            throw new OperationCanceledException("stopping: the retry is not sent", e, stop); // not a give-up
        }
        catch (Exception e) when (e is ClientResultException or TimeoutRejectedException or HttpRequestException or UnusableReplyException)
        {
            string why = e switch
            {
                ClientResultException c => c.Status == 0 ? $"{OpenAiConnection.RetryReason(c)}: {FirstLine(c.Message)}" : $"HTTP {c.Status}",
                TimeoutRejectedException => $"no answer within {Settings.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
                _ => FirstLine(e.Message),
            };
            throw new EvaluationException($"{where}: gave up after {Settings.MaxRetries} retries ({why})");
        }
    }

    private float[][] Read(OpenAIEmbeddingCollection reply, int expected)
    {
        if (reply.Count != expected) throw new UnusableReplyException("unreadable reply", $"the reply holds {reply.Count} embeddings for {expected} inputs");
        var vectors = new float[expected][];
        foreach (var e in reply)
        {
            if (e.Index < 0 || e.Index >= expected || vectors[e.Index] is not null)
                throw new UnusableReplyException("unreadable reply", $"the reply has a bad or repeated index {e.Index}");
            vectors[e.Index] = e.ToFloats().ToArray();
        }
        int d = vectors[0].Length;
        if (d == 0 || vectors.Any(v => v.Length != d)) throw new UnusableReplyException("unreadable reply", "the reply's embeddings are empty or of different widths");
        if (reply.Usage is { } usage) Interlocked.Add(ref tokens, usage.InputTokenCount);
        return vectors;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
