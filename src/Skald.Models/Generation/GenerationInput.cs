using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// One prompt: a text (tokenized with the tokenizer's special tokens, as tokenizer(prompt)), token ids used as given,
/// or chat messages (formatted by the generator's <see cref="TextGenerator.ChatFormatter"/>). Exactly one is set.
/// </summary>
public sealed record GenerationInput
{
    /// <summary>A plain text prompt.</summary>
    public string? Prompt { get; init; }

    /// <summary>Token ids, used as given (no template, no special tokens added).</summary>
    public IReadOnlyList<int>? Ids { get; init; }

    /// <summary>Chat messages.</summary>
    public IReadOnlyList<ChatTurn>? Messages { get; init; }

    /// <summary>
    /// With <see cref="Messages"/>: the functions the model may call, OpenAI's <c>{"type": "function", "function":
    /// {"name", "description", "parameters"}}</c> definitions, shown to it as the chat template's <c>tools</c>.
    /// </summary>
    public IReadOnlyList<JsonElement>? Tools { get; init; }

    /// <summary>A text prompt.</summary>
    public static GenerationInput FromPrompt(string prompt) => new() { Prompt = prompt };

    /// <summary>A prompt of token ids.</summary>
    public static GenerationInput FromIds(IReadOnlyList<int> ids) => new() { Ids = ids };

    /// <summary>A chat prompt.</summary>
    public static GenerationInput FromMessages(IReadOnlyList<ChatTurn> messages) => new() { Messages = messages };
}
