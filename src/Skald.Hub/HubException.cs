namespace Skald.Hub;

/// <summary>
/// A hub id that cannot be resolved: unknown repository or revision, no access, no network and nothing cached, a
/// download that fails its checks, a repository whose only weights are pickles Skald does not read (*.pt, *.ckpt). The message is one line for the user.
/// </summary>
public sealed class HubException : Exception
{
    /// <summary>An error with a one-line message.</summary>
    public HubException(string message) : base(message) { }

    /// <summary>An error with a one-line message and its cause.</summary>
    public HubException(string message, Exception inner) : base(message, inner) { }
}
