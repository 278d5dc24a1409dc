using Skald.Tokenizers.Templates;
using Skald.Training.Config;

namespace Skald.Training.Data.Instructions;

/// <summary>
/// Where <c>skald train</c> gets a model's chat template for <c>loss.type causal_lm</c>: the Jinja
/// <see cref="ChatTemplate"/> of the model folder (tokenizer_config.json's <c>chat_template</c> or
/// chat_template.jinja) as an <see cref="IChatPromptFormat"/>.
/// </summary>
public static class ChatPromptFormats
{
    /// <summary>
    /// The chat template of <paramref name="modelDir"/>, or null when it has none. A malformed template, or one outside
    /// the supported Jinja subset, is a <see cref="TrainingException"/> of one line naming the file and the construct.
    /// </summary>
    public static IChatPromptFormat? For(string modelDir)
    {
        try
        {
            return ChatTemplate.Load(modelDir) is { } template ? new ChatTemplatePromptFormat(template) : null;
        }
        catch (ChatTemplateException e)
        {
            throw new TrainingException(e.Message, e);
        }
    }
}
