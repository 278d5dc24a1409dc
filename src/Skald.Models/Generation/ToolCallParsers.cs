namespace Skald.Models.Generation;

/// <summary>The tool-call parser of each <see cref="ToolCallFormat"/>, and which format a chat template teaches.</summary>
public static class ToolCallParsers
{
    /// <summary>
    /// The format a chat template teaches: <see cref="ToolCallFormat.Hermes"/> when it writes <c>&lt;tool_call&gt;</c>,
    /// else <see cref="ToolCallFormat.MistralV11"/> when it writes <c>[TOOL_CALLS]</c> and <c>[ARGS]</c>, else
    /// <see cref="ToolCallFormat.Mistral"/> when it writes <c>[TOOL_CALLS]</c>, else
    /// <see cref="ToolCallFormat.Llama3Json"/> when it writes <c>&lt;|python_tag|&gt;</c> or Llama's JSON call
    /// instruction, else <see cref="ToolCallFormat.None"/>.
    /// </summary>
    public static ToolCallFormat Detect(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (HermesToolCallParser.Teaches(template)) return ToolCallFormat.Hermes;
        if (MistralV11ToolCallParser.Teaches(template)) return ToolCallFormat.MistralV11;
        if (MistralToolCallParser.Teaches(template)) return ToolCallFormat.Mistral;
        if (Llama3JsonToolCallParser.Teaches(template)) return ToolCallFormat.Llama3Json;
        return ToolCallFormat.None;
    }

    /// <summary>A new parser for one answer in <paramref name="format"/>.</summary>
    public static IToolCallParser Create(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => new HermesToolCallParser(),
        ToolCallFormat.Llama3Json => new Llama3JsonToolCallParser(),
        ToolCallFormat.Mistral => new MistralToolCallParser(),
        ToolCallFormat.MistralV11 => new MistralV11ToolCallParser(),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no parser reads this format"),
    };

    /// <summary>The content (null when it is empty and there are calls) and the calls of a whole answer in <paramref name="format"/>.</summary>
    public static (string? Content, IReadOnlyList<ChatToolCall> Calls) Parse(ToolCallFormat format, string text) => format switch
    {
        ToolCallFormat.Llama3Json => Llama3JsonToolCallParser.Parse(text),
        ToolCallFormat.Mistral => MistralToolCallParser.Parse(text),
        ToolCallFormat.MistralV11 => MistralV11ToolCallParser.Parse(text),
        _ => HermesToolCallParser.Parse(text),
    };

    /// <summary>A new call id as <paramref name="format"/>'s templates accept it.</summary>
    internal static string NewId(ToolCallFormat format) =>
        format is ToolCallFormat.Mistral or ToolCallFormat.MistralV11 ? MistralToolCallParser.NewId() : HermesToolCallParser.NewId();

    /// <summary>
    /// A whole answer read by <paramref name="parser"/> (a new one): its content, null when it is empty and there are
    /// calls, as OpenAI answers a message of calls alone, and its calls.
    /// </summary>
    internal static (string? Content, IReadOnlyList<ChatToolCall> Calls) Whole(IToolCallParser parser, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var content = new System.Text.StringBuilder();
        var calls = new List<ChatToolCall>();
        parser.Push(text, content, calls);
        parser.Finish(content, calls);
        return (content.Length == 0 && calls.Count > 0 ? null : content.ToString(), calls);
    }
}

