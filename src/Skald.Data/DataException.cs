namespace Skald.Data;

/// <summary>A problem with the user's documents, data files or options: the message is one line naming the file.</summary>
public sealed class DataException(string message, Exception? inner = null) : Exception(message, inner);
