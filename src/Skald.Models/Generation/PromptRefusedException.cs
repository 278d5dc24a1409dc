namespace Skald.Models.Generation;

/// <summary>
/// A request <see cref="SkaldChatClient"/> cannot answer because of its prompt (or conversation) itself: it has no
/// tokens, it is longer than the model's context, or it leaves fewer columns than <c>max_tokens</c> asks for. An
/// <see cref="ArgumentException"/> that tells a server the refusal is this prompt's, so that of a request with several
/// prompts it names the one refused (an option refused whatever the prompt is a <see cref="ChatOptionException"/>).
/// </summary>
public sealed class PromptRefusedException : ArgumentException
{
    /// <summary>
    /// A refusal of the prompt; <paramref name="field"/> names the option it leaves no room for, if any;
    /// <paramref name="exceedsContext"/> says the prompt, or the prompt with the new tokens asked for, is more than the context.
    /// </summary>
    public PromptRefusedException(string message, string? field = null, bool exceedsContext = false) : base(message)
    {
        Field = field;
        ExceedsContext = exceedsContext;
    }

    /// <summary>The option's field in OpenAI's API the prompt leaves no room for (<c>max_tokens</c>); null: the prompt itself.</summary>
    public string? Field { get; }

    /// <summary>
    /// Whether the refusal is for the model's context: the prompt is longer, or leaves fewer columns than the new tokens
    /// asked for (a server answers OpenAI's code <c>context_length_exceeded</c>); false for a prompt of no tokens.
    /// </summary>
    public bool ExceedsContext { get; }
}
