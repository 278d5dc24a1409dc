using Skald.Tokenizers.Templates;
using Skald.Training.Config;

namespace Skald.Training.Data.Instructions;

/// <summary>
/// <see cref="IChatPromptFormat"/> over a model's Jinja <see cref="ChatTemplate"/>, rendered as transformers'
/// <c>apply_chat_template</c> renders it. A rendering error (e.g. the template's own <c>raise_exception</c> for roles
/// that do not alternate) is a one-line <see cref="TrainingException"/>.
/// </summary>
public sealed class ChatTemplatePromptFormat : IChatPromptFormat
{
    /// <summary>Wraps <paramref name="template"/>.</summary>
    public ChatTemplatePromptFormat(ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
    }

    /// <summary>The template.</summary>
    public ChatTemplate Template { get; }

    /// <inheritdoc />
    public string Render(IReadOnlyList<InstructionMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        try
        {
            return Template.Apply([.. messages.Select(m => new ChatMessage(m.Role, m.Content))], addGenerationPrompt);
        }
        catch (ChatTemplateException e)
        {
            throw new TrainingException($"chat template: {e.Message}", e);
        }
    }
}
