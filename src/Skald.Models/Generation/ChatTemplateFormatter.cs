using Skald.Tokenizers.Templates;

namespace Skald.Models.Generation;

/// <summary>
/// <see cref="IChatFormatter"/> over a model folder's Jinja <see cref="ChatTemplate"/> (tokenizer_config.json's
/// <c>chat_template</c> or chat_template.jinja), applied with <c>add_generation_prompt = true</c> as transformers'
/// <c>apply_chat_template</c> does.
/// </summary>
public sealed class ChatTemplateFormatter : IChatFormatter
{
    /// <summary>Wraps <paramref name="template"/>.</summary>
    public ChatTemplateFormatter(ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
    }

    /// <summary>The template.</summary>
    public ChatTemplate Template { get; }

    /// <summary>
    /// The chat template of <paramref name="folder"/>, or null when it has none; throws
    /// <see cref="ChatTemplateException"/> (one line naming the file) for a malformed or unsupported template.
    /// </summary>
    public static ChatTemplateFormatter? Load(string folder) =>
        ChatTemplate.Load(folder) is { } template ? new ChatTemplateFormatter(template) : null;

    /// <inheritdoc />
    public string Format(IReadOnlyList<ChatTurn> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Template.Apply([.. messages.Select(m => new ChatMessage(m.Role, m.Content))], addGenerationPrompt: true);
    }
}
