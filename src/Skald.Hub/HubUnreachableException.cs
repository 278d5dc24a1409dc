namespace Skald.Hub;

/// <summary>The hub could not be asked (no connection, timeout, HTTP 5xx after retries): the cache may still answer.</summary>
internal sealed class HubUnreachableException(string reason, Exception? inner = null) : Exception(reason, inner);
