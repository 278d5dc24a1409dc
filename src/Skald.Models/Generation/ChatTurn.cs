namespace Skald.Models.Generation;

/// <summary>One message of a chat prompt (<c>{"role": …, "content": …}</c>).</summary>
/// <param name="Role">system, user, assistant, tool, ….</param>
/// <param name="Content">The message text (a tool turn's: the function's result).</param>
public sealed record ChatTurn(string Role, string Content)
{
    /// <summary>An assistant turn's function calls (<c>tool_calls</c>; null or empty: none).</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>A tool turn's: the id of the call it answers (<c>tool_call_id</c>).</summary>
    public string? ToolCallId { get; init; }

    /// <summary>A tool turn's: the name of the function that answered (<c>name</c>), when known.</summary>
    public string? Name { get; init; }
}
