namespace Skald.Models.Generation;

/// <summary>One message of a chat prompt (<c>{"role": …, "content": …}</c>).</summary>
/// <param name="Role">system, user, assistant, ….</param>
/// <param name="Content">The message text.</param>
public sealed record ChatTurn(string Role, string Content);
