namespace Skald.Training.Config;

/// <summary>
/// A user-facing training problem: a bad config key or value, a malformed dataset line, an unreadable file, a run that
/// diverged. The message is one line that names the file and line or the config key.
/// </summary>
public sealed class TrainingException(string message, Exception? inner = null) : Exception(message, inner);
