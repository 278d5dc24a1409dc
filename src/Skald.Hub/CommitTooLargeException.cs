namespace Skald.Hub;

/// <summary>
/// The hub refused a commit as too large (HTTP 413 Payload Too Large) and applied none of it: an upload in several
/// commits sends it again in smaller ones; an upload in one commit turns it into a <see cref="HubException"/>.
/// </summary>
internal sealed class CommitTooLargeException(string message) : Exception(message);
