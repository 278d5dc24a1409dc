namespace Skald.Models.Generation;

/// <summary>
/// A <see cref="SkaldChatClient"/> already has <see cref="SkaldChatClient.MaxQueue"/> requests waiting: retry later (a
/// server answers 503).
/// </summary>
public sealed class GenerationBusyException(string message) : Exception(message);
