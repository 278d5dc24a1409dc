namespace Skald.Retrieval.Remote;

/// <summary>
/// An answer that came back but cannot be used (not a chat completion or embeddings response, or no usable answer in
/// it): retried by the pipeline (<see cref="OpenAiConnection.Pipeline"/>) like a server error. <see cref="Reason"/> is
/// the short label a retry is counted under (<see cref="RetryTally"/>); the message says more, for the line when the
/// retries run out.
/// </summary>
public sealed class UnusableReplyException(string reason, string message) : Exception(message)
{
    /// <summary>What the retry is counted as ("unreadable reply", "no usable answer").</summary>
    public string Reason { get; } = reason;
}
