using System.Text;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// Reads the function calls out of a model's text in the format of Mistral's tokenizers v11 and later (Mistral Small
/// 3.1/3.2, Magistral, Devstral, Ministral 3): each call <c>[TOOL_CALLS]name[ARGS]{...}</c>, several in a row, some
/// versions with the call's id between, <c>[TOOL_CALLS]name[CALL_ID]id[ARGS]{...}</c>, as vLLM's <c>mistral</c> tool
/// parser reads them for such tokenizers (mistral_tool_parser.py at commit 023f36c62e71a247a9bacb7eb4cea5d55505cb63:
/// the text after each tag, name up to the arguments' <c>{</c>, <c>[ARGS]</c> dropped). Written independently from that
/// behaviour: the text before the first tag is content (whitespace just before it dropped); each call is a name (the
/// text before its <c>[CALL_ID]</c> or <c>[ARGS]</c> tag, any characters but <c>{</c>; without those tags, letters,
/// digits, <c>_</c>, <c>-</c> and <c>.</c>), then the id if any (kept when it is 9 letters and digits, as
/// Mistral's templates require of the calls sent back; else a new one), then one JSON object (whitespace may come before it, as JSON mode lets it), and whitespace may end
/// each; when what follows the first tag is not such calls alone (arguments that are not a JSON object, prose after
/// them) the tag and all that follows stay content, where vLLM still returns the calls with the arguments' text as
/// written. The tags are special tokens, which decoding drops unless the parser's tags are kept, so an answer that
/// starts (past whitespace) as <c>name{</c> and is such calls alone is read as calls too.
/// <para>
/// Streaming: content before the first tag streams as it comes (holding back a tail that may still become the tag,
/// and whitespace that may precede it); from the tag on, or from the start when the answer opens as a name followed by
/// <c>{</c> or <c>[</c>, the text is held until <see cref="Finish"/>, so that a streamed answer's pieces add up to
/// <see cref="Parse"/>'s whole answer. One instance reads one answer.
/// </para>
/// </summary>
public sealed class MistralV11ToolCallParser : IToolCallParser
{
    /// <summary>The special token before each call.</summary>
    public const string Tag = MistralToolCallParser.Tag;

    /// <summary>The special token between a call's name (or id) and its arguments.</summary>
    public const string Args = "[ARGS]";

    /// <summary>The special token between a call's name and its id, in the versions that write one.</summary>
    public const string CallId = "[CALL_ID]";

    private readonly TaggedCallStream stream = new(Tag);
    private readonly Func<string> newId;

    /// <summary>A parser whose calls get ids from <paramref name="newId"/> (default: <see cref="MistralToolCallParser.NewId"/>) when the model writes none.</summary>
    public MistralV11ToolCallParser(Func<string>? newId = null) => this.newId = newId ?? MistralToolCallParser.NewId;

    /// <summary>Whether a chat template teaches this format (it writes <c>[TOOL_CALLS]</c> and <c>[ARGS]</c>).</summary>
    public static bool Teaches(string template) =>
        template.Contains(Tag, StringComparison.Ordinal) && template.Contains(Args, StringComparison.Ordinal);

    /// <summary>
    /// Whether a chat template writes each call's id (<c>[CALL_ID]</c>, as Mistral Small 3.1's does), so that the
    /// model learned to write one after each name and required calls write one there.
    /// </summary>
    public static bool WritesIds(string template) => template.Contains(CallId, StringComparison.Ordinal);

    /// <summary>The content (null when it is empty and there are calls) and the calls of a whole answer.</summary>
    public static (string? Content, IReadOnlyList<ChatToolCall> Calls) Parse(string text, Func<string>? newId = null) =>
        ToolCallParsers.Whole(new MistralV11ToolCallParser(newId), text);

    /// <inheritdoc/>
    public void Push(string delta, StringBuilder content, List<ChatToolCall> calls) => stream.Push(delta, content, BareStart);

    /// <inheritdoc/>
    public void Finish(StringBuilder content, List<ChatToolCall> calls) => stream.Finish(content, calls, Calls);

    // The calls the text after the first tag is (each a name, maybe an id, and a JSON object; a tag before each later
    // one, or none where decoding dropped it), or null when it is not calls alone.
    private List<ChatToolCall>? Calls(string text)
    {
        var calls = new List<ChatToolCall>();
        int at = 0;
        while (true)
        {
            at = SkipSpace(text, at);
            if (at == text.Length) return calls.Count > 0 ? calls : null;
            if (calls.Count > 0 && string.CompareOrdinal(text, at, Tag, 0, Tag.Length) == 0) at += Tag.Length;
            int name = at;
            at = NameEnd(text, at);
            if (at == name) return null;
            string function = text[name..at];
            string? id = null;
            if (string.CompareOrdinal(text, at, CallId, 0, CallId.Length) == 0)
            {
                int start = at += CallId.Length;
                while (at < text.Length && text[at] != '{' && string.CompareOrdinal(text, at, Args, 0, Args.Length) != 0) at++;
                id = text[start..at];
            }
            if (string.CompareOrdinal(text, at, Args, 0, Args.Length) == 0) at = SkipSpace(text, at + Args.Length);
            if (Arguments(text, at) is not { } arguments) return null;
            at += arguments.Length;
            calls.Add(new ChatToolCall(id is { Length: 9 } && id.All(char.IsAsciiLetterOrDigit) ? id : newId(), function, arguments));
        }
    }

    // The text of the JSON object that starts at `at`, or null.
    private static string? Arguments(string text, int at)
    {
        if (at >= text.Length || text[at] != '{') return null;
        var bytes = Encoding.UTF8.GetBytes(text[at..]);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            if (!reader.Read() || !reader.TrySkip()) return null;
        }
        catch (JsonException)
        {
            return null;
        }
        return Encoding.UTF8.GetString(bytes, 0, (int)reader.BytesConsumed);
    }

    private static int SkipSpace(string text, int at)
    {
        while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
        return at;
    }

    // Where the name that starts at `at` ends: before the [CALL_ID] or [ARGS] tag that follows it, whatever its
    // characters (as vLLM takes the text before [ARGS]: a tool's name may have spaces or letters beyond ASCII, and
    // required calls write it as it is), so long as no '{' or call tag comes first; without such a tag (decoding
    // dropped them), after the letters, digits, '_', '-' and '.' that run from `at`.
    private static int NameEnd(string text, int at)
    {
        int args = text.IndexOf(Args, at, StringComparison.Ordinal);
        int id = text.IndexOf(CallId, at, StringComparison.Ordinal);
        int tag = args < 0 ? id : id < 0 ? args : Math.Min(args, id);
        if (tag > at && text.IndexOf('{', at, tag - at) < 0 && text.IndexOf(Tag, at, tag - at, StringComparison.Ordinal) < 0) return tag;
        while (at < text.Length && IsNameChar(text[at])) at++;
        return at;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    // Whether the answer so far opens as a bare call (past whitespace, a name and then '{' or '['), null when it
    // cannot tell yet; an answer that opens with the tag (or what may become it) is not bare.
    private static bool? BareStart(string text)
    {
        int at = SkipSpace(text, 0);
        if (at == text.Length) return null;
        if (string.CompareOrdinal(text, at, Tag, 0, Math.Min(Tag.Length, text.Length - at)) == 0)
            return text.Length - at < Tag.Length ? null : false;
        int name = at;
        while (at < text.Length && IsNameChar(text[at])) at++;
        if (at == text.Length) return null;
        return at > name && text[at] is '{' or '[';
    }
}
