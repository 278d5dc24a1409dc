using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// A chat model served at <c>POST /v1/chat/completions</c>: any <see cref="IChatClient"/>, in Skald a local decoder
/// (<see cref="Skald.Models.Generation.SkaldChatClient"/>), with the id it answers as, the API key and body limit
/// of its endpoint and the metrics it counts into. An <see cref="ArgumentException"/> from the client (what it cannot
/// answer: a conversation longer than the context, a template that refuses the roles) is the client's 400. The client
/// stays the caller's, as Microsoft.Extensions.AI's wrappers leave what they are given: dispose it after the app stops.
/// A local decoder's requests queued and running are gauges of <see cref="Metrics"/>.
/// </summary>
public sealed class ChatService
{
    /// <summary>Serves <paramref name="client"/> as <paramref name="modelName"/>.</summary>
    public ChatService(IChatClient client, string modelName, string? apiKey = null, long maxBodyBytes = 16 << 20,
        ServingMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBodyBytes);
        Client = client;
        ModelName = modelName;
        ApiKey = apiKey;
        MaxBodyBytes = maxBodyBytes;
        Metrics = metrics ?? new ServingMetrics();
        if (client.GetService(typeof(SkaldChatClient)) is SkaldChatClient local)
            Metrics.TrackGeneration(() => local.Queued, () => local.Running, local.MaxQueue);
    }

    /// <summary>The chat model.</summary>
    public IChatClient Client { get; }

    /// <summary>The model id in responses and <c>/v1/models</c>.</summary>
    public string ModelName { get; }

    /// <summary>The key clients send as <c>Authorization: Bearer KEY</c> (null: none needed).</summary>
    public string? ApiKey { get; }

    /// <summary>Largest request body in bytes (more: 413).</summary>
    public long MaxBodyBytes { get; }

    /// <summary>The Prometheus metrics requests are counted into.</summary>
    public ServingMetrics Metrics { get; }

    /// <summary>When the service was created (Unix seconds; <c>created</c> in <c>GET /v1/models</c>).</summary>
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
