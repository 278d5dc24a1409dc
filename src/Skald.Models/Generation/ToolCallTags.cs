using Skald.Tokenizers;

namespace Skald.Models.Generation;

/// <summary>
/// A tool-call format's tags (<c>&lt;tool_call&gt;</c>, <c>[TOOL_CALLS]</c>, ...) that a tokenizer marks special: decoding
/// drops special tokens, so these are kept in the text of a request with tools (<see cref="Kept"/>, through its
/// <see cref="GenerationOptions.Decode"/>) for the parser to see them, as vLLM turns <c>skip_special_tokens</c> off for
/// such parsers; other requests, rows of the same batch included, decode as before; and the text shown as content
/// never has them (<see cref="Hide"/>), as before. Only the
/// format's own tags are kept, not every special token; a tag the tokenizer has as ordinary text is neither.
/// </summary>
internal sealed class ToolCallTags
{
    private readonly string[] hidden;

    private ToolCallTags(IReadOnlySet<int> kept, string[] hidden)
    {
        Kept = kept;
        this.hidden = hidden;
    }

    /// <summary>No tags kept.</summary>
    public static ToolCallTags None { get; } = new(new HashSet<int>(), []);

    /// <summary>The ids of the tags kept.</summary>
    public IReadOnlySet<int> Kept { get; }

    /// <summary>The tags of <paramref name="format"/> that <paramref name="tokenizer"/> has as special tokens.</summary>
    public static ToolCallTags Of(ToolCallFormat format, Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var kept = new HashSet<int>();
        var hidden = new List<string>();
        foreach (string tag in Tags(format))
        {
            if (tokenizer.TokenToId(tag) is not int id) continue;
            bool special = tokenizer.Decode([id], skipSpecialTokens: true).Length == 0 && tokenizer.Decode([id], skipSpecialTokens: false) == tag;
            if (!special) continue;
            kept.Add(id);
            hidden.Add(tag);
        }
        return hidden.Count == 0 ? None : new(kept, [.. hidden]);
    }

    /// <summary><paramref name="text"/> without the tags kept (as the text was before they were kept).</summary>
    public string Hide(string text)
    {
        foreach (string tag in hidden)
        {
            if (text.Contains(tag, StringComparison.Ordinal)) text = text.Replace(tag, "", StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>The tags a format's parser reads.</summary>
    public static IReadOnlyList<string> Tags(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes => [HermesToolCallParser.Open, HermesToolCallParser.Close],
        ToolCallFormat.Llama3Json => [Llama3JsonToolCallParser.PythonTag],
        ToolCallFormat.Mistral => [MistralToolCallParser.Tag],
        ToolCallFormat.MistralV11 => [MistralV11ToolCallParser.Tag, MistralV11ToolCallParser.Args, MistralV11ToolCallParser.CallId],
        _ => [],
    };
}
