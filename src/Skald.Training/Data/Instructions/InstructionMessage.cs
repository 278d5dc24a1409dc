namespace Skald.Training.Data.Instructions;

/// <summary>One turn of a chat-style instruction row: <c>{"role": "user", "content": "…"}</c>.</summary>
/// <param name="Role"><c>system</c>, <c>user</c> or <c>assistant</c>.</param>
/// <param name="Content">The turn's text.</param>
public sealed record InstructionMessage(string Role, string Content);
