namespace Skald.Retrieval.Remote;

/// <summary>How a remote embedding model is called.</summary>
public sealed record RemoteEmbeddingSettings
{
    /// <summary>Where and which model.</summary>
    public required RemoteModelSpec Spec { get; init; }

    /// <summary>API key (a local endpoint may take any).</summary>
    public string ApiKey { get; init; } = "unused";

    /// <summary>Texts per request.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Retries of one request (429, 5xx, timeouts, broken connections) before the run stops.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>First retry delay (doubled each retry, with jitter) unless the server sends Retry-After.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time allowed for one attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Price in the user's currency per million input tokens (0: cost not computed).</summary>
    public double PricePerMillionTokens { get; init; }

    /// <summary>Ctrl-C: once its token is set, no further request is sent (null: none; Ctrl-C ends the process).</summary>
    public RemoteStop? Stop { get; init; }
}
