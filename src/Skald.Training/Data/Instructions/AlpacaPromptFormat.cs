using System.Text;

namespace Skald.Training.Data.Instructions;

/// <summary>
/// The built-in plain prompt format, used when a model has no chat template: Stanford Alpaca's prompt (train.py's
/// PROMPT_DICT: a one-sentence preamble, <c>### Instruction:</c>, optional <c>### Input:</c>, <c>### Response:</c>),
/// with a line break after the last header so the response starts on its own line (Alpaca appends the output
/// directly). Chat rows render in the same style: a <c>system</c> turn replaces the preamble, each <c>user</c> turn is
/// an <c>### Instruction:</c> block and each earlier <c>assistant</c> turn a <c>### Response:</c> block.
/// </summary>
/// <remarks>Upstream: https://github.com/tatsu-lab/stanford_alpaca/blob/main/train.py (PROMPT_DICT)</remarks>
public sealed class AlpacaPromptFormat : IChatPromptFormat
{
    private const string Preamble = "Below is an instruction that describes a task. Write a response that appropriately completes the request.";
    private const string PreambleWithInput = "Below is an instruction that describes a task, paired with an input that provides further context. " +
        "Write a response that appropriately completes the request.";

    /// <summary>The one instance (the format has no settings).</summary>
    public static AlpacaPromptFormat Instance { get; } = new();

    private AlpacaPromptFormat()
    {
    }

    /// <summary>Alpaca's prompt for an instruction and an optional input (null or empty: the no-input variant).</summary>
    public static string Prompt(string instruction, string? input) => string.IsNullOrEmpty(input)
        ? $"{Preamble}\n\n### Instruction:\n{instruction}\n\n### Response:\n"
        : $"{PreambleWithInput}\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";

    /// <inheritdoc />
    public string Render(IReadOnlyList<InstructionMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sb = new StringBuilder();
        int start = 0;
        if (messages.Count > 0 && messages[0].Role == "system")
        {
            sb.Append(messages[0].Content);
            start = 1;
        }
        else
        {
            sb.Append(Preamble);
        }
        for (int i = start; i < messages.Count; i++)
        {
            string header = messages[i].Role == "assistant" ? "### Response:" : "### Instruction:";
            sb.Append("\n\n").Append(header).Append('\n').Append(messages[i].Content);
        }
        if (addGenerationPrompt) sb.Append("\n\n### Response:\n");
        return sb.ToString();
    }
}
