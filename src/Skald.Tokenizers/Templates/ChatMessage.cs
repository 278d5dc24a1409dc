namespace Skald.Tokenizers.Templates;

/// <summary>One turn of a conversation as a chat template sees it: <c>{"role": …, "content": …}</c>.</summary>
/// <param name="Role">The speaker: <c>system</c>, <c>user</c>, <c>assistant</c> (or <c>tool</c>, as the template allows).</param>
/// <param name="Content">The text of the turn.</param>
public sealed record ChatMessage(string Role, string Content);
