using System.Text.Json;
using Skald.Tokenizers.Templates;

namespace Skald.Models.Generation;

/// <summary>
/// Turns chat messages into a prompt text with the generation prompt appended (a model's chat template, applied with
/// add_generation_prompt = true). The text is tokenized without adding special tokens, as transformers'
/// apply_chat_template does, since templates write them.
/// </summary>
public interface IChatFormatter
{
    /// <summary>The prompt for <paramref name="messages"/>, ending where the assistant's answer begins.</summary>
    string Format(IReadOnlyList<ChatTurn> messages);

    /// <summary>
    /// The prompt for <paramref name="messages"/> with the functions the model may call, <paramref name="tools"/>
    /// (OpenAI's <c>{"type": "function", "function": {...}}</c> definitions, the template's <c>tools</c> variable).
    /// A formatter that cannot show tools throws <see cref="NotSupportedException"/> when there are any.
    /// </summary>
    string Format(IReadOnlyList<ChatTurn> messages, IReadOnlyList<JsonElement> tools) => tools.Count == 0 ? Format(messages)
        : throw new NotSupportedException($"{GetType().Name} cannot show tools to the model");

    /// <summary>
    /// <see cref="Format(IReadOnlyList{ChatTurn}, IReadOnlyList{JsonElement})"/>, or null once <paramref name="limit"/>
    /// (null: none) says the prompt rendered so far is past it, where the rendering stops (a conversation of very many
    /// messages then costs what the limit needs to see). A formatter may ignore the limit and render whole (the default).
    /// </summary>
    string? Format(IReadOnlyList<ChatTurn> messages, IReadOnlyList<JsonElement> tools, RenderLimit? limit) => Format(messages, tools);
}
