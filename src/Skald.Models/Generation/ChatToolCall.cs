namespace Skald.Models.Generation;

/// <summary>
/// One function call an assistant turn made (OpenAI's <c>tool_calls[i]</c>): the call's id, the function's name and its
/// arguments as the text of a JSON object.
/// </summary>
/// <param name="Id">The call's id, which the tool turn answering it names (<see cref="ChatTurn.ToolCallId"/>).</param>
/// <param name="Name">The function called.</param>
/// <param name="Arguments">The arguments: the text of a JSON object (e.g. <c>{"city": "Oslo"}</c>).</param>
public sealed record ChatToolCall(string Id, string Name, string Arguments);
