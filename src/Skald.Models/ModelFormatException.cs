namespace Skald.Models;

/// <summary>
/// A model folder or file that Skald cannot use (missing file, corrupt checkpoint, unsupported architecture,
/// unknown config value). The message names the file and the offending part; the CLI prints it without a stack trace.
/// </summary>
public sealed class ModelFormatException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a user-facing message and the underlying cause.</summary>
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
