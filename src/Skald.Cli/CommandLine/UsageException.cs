namespace Skald.Cli.CommandLine;

/// <summary>A mistake in the command line that the parser cannot see (e.g. a bad list item); one line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
