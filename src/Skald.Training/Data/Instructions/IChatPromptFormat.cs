namespace Skald.Training.Data.Instructions;

/// <summary>
/// Renders chat turns to the text a decoder is trained and prompted on. The model's own chat template (Jinja, from
/// <c>tokenizer_config.json</c>) backs it when one is loaded (an adapter over the chat-template engine);
/// <see cref="AlpacaPromptFormat"/> is the built-in plain format used when a model has none.
/// </summary>
public interface IChatPromptFormat
{
    /// <summary>
    /// The text of <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> followed by what opens the
    /// assistant's next turn (the prompt the response is appended to).
    /// </summary>
    string Render(IReadOnlyList<InstructionMessage> messages, bool addGenerationPrompt);
}
