namespace Skald.Hub;

/// <summary>
/// The hub refused the repository (not found, private, gated): raised to the user only when the cache cannot answer
/// instead, as huggingface_hub does.
/// </summary>
internal sealed class HubAccessException(string message) : Exception(message);
