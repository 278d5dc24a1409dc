namespace Skald.Retrieval;

/// <summary>A problem with a task's data, a suite file or a model/task combination; the message names the file and line.</summary>
public sealed class EvaluationException(string message) : Exception(message);
