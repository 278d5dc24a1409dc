using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// Reads the function calls out of a model's text in the format Mistral's templates teach (Mistral 7B v0.3, Nemo,
/// Large 2407), as vLLM's <c>mistral</c> tool parser reads them: <c>[TOOL_CALLS]</c> followed by a JSON array of
/// <c>{"name": "f", "arguments": {...}}</c>. Written independently from that behaviour: the text before
/// <c>[TOOL_CALLS]</c> is content (whitespace just before it dropped), and when what follows the tag is not such an
/// array alone (malformed JSON, a call without a string name, arguments not an object, prose after it) the tag and all
/// that follows stay content. <c>[TOOL_CALLS]</c> is a special token, which the generator's decoding drops (vLLM keeps
/// special tokens for this parser instead), so an answer that starts (past whitespace) with such an array without the
/// tag is read as calls as well, and as content unchanged if it is not calls alone. Call ids are 9 letters and digits,
/// as Mistral's templates require of the calls sent back. Differences from vLLM (mistral_tool_parser.py at commit
/// a5cdcfaafbb32ab09e37d543005e1fc8619bd228): vLLM, when the text after the tag is not one JSON array, takes the first
/// <c>[{…}]</c> it finds and drops the rest, and when that fails too returns the text without the tag as content; here
/// such an answer is content with its tag, as written.
/// <para>
/// Streaming: content before the tag streams as it comes (holding back a tail that may still become the tag, and
/// whitespace that may precede it); from the tag on, or from the start when the answer opens as an array of objects,
/// the text is held until <see cref="Finish"/>, so that a streamed
/// answer's pieces add up to <see cref="Parse"/>'s whole answer. One instance reads one answer.
/// </para>
/// </summary>
public sealed class MistralToolCallParser : IToolCallParser
{
    /// <summary>The special token Mistral writes before its calls.</summary>
    public const string Tag = "[TOOL_CALLS]";

    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly TaggedCallStream stream = new(Tag);
    private readonly Func<string> newId;

    /// <summary>A parser whose calls get ids from <paramref name="newId"/> (default: <see cref="NewId"/>).</summary>
    public MistralToolCallParser(Func<string>? newId = null) => this.newId = newId ?? NewId;

    /// <summary>Whether a chat template teaches this format (it writes <c>[TOOL_CALLS]</c>).</summary>
    public static bool Teaches(string template) => template.Contains(Tag, StringComparison.Ordinal);

    /// <summary>The content (null when it is empty and there are calls) and the calls of a whole answer.</summary>
    public static (string? Content, IReadOnlyList<ChatToolCall> Calls) Parse(string text, Func<string>? newId = null) =>
        ToolCallParsers.Whole(new MistralToolCallParser(newId), text);

    /// <inheritdoc/>
    public void Push(string delta, StringBuilder content, List<ChatToolCall> calls) => stream.Push(delta, content, BareStart);

    /// <inheritdoc/>
    public void Finish(StringBuilder content, List<ChatToolCall> calls) => stream.Finish(content, calls, Calls);

    /// <summary>A new call id: 9 random letters and digits, as Mistral's templates require.</summary>
    public static string NewId() => string.Create(9, 0, (span, _) =>
    {
        for (int i = 0; i < span.Length; i++) span[i] = Alphanumerics[RandomNumberGenerator.GetInt32(Alphanumerics.Length)];
    });

    // The calls the text after the tag is (a JSON array of calls, nothing after it), or null.
    private List<ChatToolCall>? Calls(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return null;
            var calls = new List<ChatToolCall>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (ToolCallJson.Read(item, newId, "arguments") is not { } call) return null;
                calls.Add(call);
            }
            return calls.Count > 0 ? calls : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Whether the answer so far opens as an array of objects ('[', then past whitespace '{'), null when it cannot tell yet.
    private static bool? BareStart(string text)
    {
        int at = 0;
        while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
        if (at == text.Length) return null;
        if (text[at] != '[') return false;
        if (string.CompareOrdinal(text, at, Tag, 0, Math.Min(Tag.Length, text.Length - at)) == 0)
            return text.Length - at < Tag.Length ? null : false; // the tag, or maybe: read as the tag
        at++;
        while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
        return at == text.Length ? null : text[at] == '{';
    }
}
