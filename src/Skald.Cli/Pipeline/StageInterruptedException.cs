namespace Skald.Cli.Pipeline;

/// <summary>
/// Ctrl-C stopped an LLM stage of <c>skald pipeline</c> once its requests in flight had come back into the stage's
/// journal (<see cref="StageLlm.Drained{T}"/>): the message says what was kept where and how to go on, and the command
/// exits with 130 instead of running the later stages.
/// </summary>
internal sealed class StageInterruptedException(string message) : Exception(message);
