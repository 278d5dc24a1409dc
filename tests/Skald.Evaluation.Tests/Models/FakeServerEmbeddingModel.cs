using Skald.Evaluation.Models;
using Skald.Retrieval.Remote;

namespace Skald.Evaluation.Tests.Models;

/// <summary>The remote embedding model the tests run against <see cref="FakeEmbeddingServer"/>'s <c>fake-embed</c>, in one place.</summary>
internal static class FakeServerEmbeddingModel
{
    /// <summary>
    /// A <see cref="RemoteEmbeddingModel"/> that embeds through <paramref name="server"/> two texts a request, with
    /// <paramref name="retries"/> retries 10 ms apart, the API key <paramref name="key"/>, <paramref name="pricePerMillionTokens"/>
    /// for its cost, <paramref name="stop"/> (none when null), caching under <paramref name="cache"/> (nothing when null).
    /// </summary>
    public static RemoteEmbeddingModel Create(FakeEmbeddingServer server, string? cache = null, int retries = 0, string key = "unused",
        double pricePerMillionTokens = 0, RemoteStop? stop = null) =>
        new(new OpenAiEmbeddingClient(new RemoteEmbeddingSettings
        {
            Spec = RemoteModelSpec.Parse($"openai:{server.Url}#fake-embed"), ApiKey = key, BatchSize = 2, MaxRetries = retries,
            RetryDelay = TimeSpan.FromMilliseconds(10), PricePerMillionTokens = pricePerMillionTokens, Stop = stop,
        }), new EvaluationEmbeddingOptions { CacheDirectory = cache });
}
