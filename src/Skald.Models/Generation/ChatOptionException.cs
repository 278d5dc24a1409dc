namespace Skald.Models.Generation;

/// <summary>
/// A request option <see cref="SkaldChatClient"/> cannot honour (a frequency or presence penalty, a repetition penalty
/// that is not a number, ...): an <see cref="ArgumentException"/> that also names the option's field in OpenAI's API, so
/// that a server answers with a 400 naming it rather than the messages.
/// </summary>
public sealed class ChatOptionException : ArgumentException
{
    /// <summary>The refused option, named by <paramref name="field"/> (e.g. "frequency_penalty").</summary>
    public ChatOptionException(string message, string field) : base(message) => Field = field;

    /// <summary>The option's field in OpenAI's API (e.g. <c>frequency_penalty</c>).</summary>
    public string Field { get; }
}
