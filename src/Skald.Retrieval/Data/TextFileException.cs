namespace Skald.Retrieval.Data;

/// <summary>An input file that cannot be read as text (not UTF-8); the message names the file, line and byte offset.</summary>
public sealed class TextFileException(string message) : IOException(message);
