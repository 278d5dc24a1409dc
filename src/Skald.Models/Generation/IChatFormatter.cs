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
}
