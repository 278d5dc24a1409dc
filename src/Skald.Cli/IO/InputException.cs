namespace Skald.Cli.IO;

/// <summary>A problem in a user's input file; the message names the file and line.</summary>
internal sealed class InputException(string message) : Exception(message);
