namespace Skald.Distributed;

/// <summary>An MPI call failed (its error string), or MPI could not be loaded or started.</summary>
public sealed class MpiException(string message, Exception? inner = null) : Exception(message, inner);
