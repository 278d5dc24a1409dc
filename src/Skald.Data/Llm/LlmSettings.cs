namespace Skald.Data.Llm;

/// <summary>How questions are asked of an OpenAI-compatible chat endpoint.</summary>
public sealed record LlmSettings
{
    /// <summary>Base URL of the API (the part before <c>/chat/completions</c>, e.g. <c>http://127.0.0.1:11434/v1</c>).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Model name sent with each request.</summary>
    public required string Model { get; init; }

    /// <summary>API key (a local endpoint may take any).</summary>
    public string ApiKey { get; init; } = "unused";

    /// <summary>Questions asked per chunk.</summary>
    public int QuestionsPerChunk { get; init; } = 2;

    /// <summary>Requests in flight at once.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Retries of one request (429, 5xx, timeouts, unreadable replies) before the run stops.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>Time allowed for one attempt.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>First retry delay (doubled each retry, with jitter) unless the server sends Retry-After.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most requests this run may send (retries included); null: no limit.</summary>
    public int? RequestBudget { get; init; }

    /// <summary>What sets <see cref="RequestBudget"/> (an option or a pipeline key), named when the budget is spent.</summary>
    public string RequestBudgetName { get; init; } = "--max-requests";

    /// <summary>Prompt language (nb, nn, da, sv); null: guessed per document.</summary>
    public string? Language { get; init; }

    /// <summary>Sampling temperature.</summary>
    public float Temperature { get; init; } = 0.7f;

    /// <summary>True when <paramref name="endpoint"/> is on this machine (then no API key is needed).</summary>
    public static bool IsLocal(Uri endpoint) => Retrieval.Remote.OpenAiConnection.IsLocal(endpoint);

    /// <summary>
    /// The API key for <paramref name="endpoint"/> from the environment variable <paramref name="variable"/>; "unused"
    /// for an endpoint on this machine without one; null when the variable is unset for any other endpoint (the caller
    /// names the option or key that chose the variable).
    /// </summary>
    public static string? KeyFromEnvironment(Uri endpoint, string variable)
    {
        string? key = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(key)) return key;
        return IsLocal(endpoint) ? "unused" : null;
    }
}
