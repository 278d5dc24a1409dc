using System.Text;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// Reads the function calls out of a model's text in the Hermes format that Qwen2.5, Qwen3 and Hermes 2/3 templates
/// teach: each call a <c>&lt;tool_call&gt;{"name": "f", "arguments": {...}}&lt;/tool_call&gt;</c> block, as vLLM's
/// <c>hermes</c> tool parser reads them (a last block left open at the end of the text is read too). Written
/// independently from that behaviour, with two differences: a block whose JSON cannot be read (not an object with a
/// string <c>name</c> and an object or absent <c>arguments</c>) stays in the content as text while the others are still
/// calls (vLLM drops every call then), and the content is all the text outside the blocks, not only the text before the
/// first. A block whose JSON does not read as a call but holds a later <c>&lt;tool_call&gt;</c> before its close is
/// read from the last of them: the earlier tags were prose (a model naming the tag) and stay content, where vLLM loses
/// the call that follows. Whitespace between the content and a block, or after the last call, is dropped, so that the usual
/// <c>"&lt;tool_call&gt;\n…\n&lt;/tool_call&gt;\n&lt;tool_call&gt;…"</c> leaves no content.
/// <para>
/// Streaming: <see cref="Push"/> takes the text as it is generated and gives back the content that is safe to show
/// (never the start of a block, nor a tail that may still become one, nor whitespace that may precede one) and the calls
/// whose block has closed; <see cref="Finish"/> gives the rest. <see cref="Parse"/> runs the same over a whole text, so
/// a streamed answer's pieces add up to the whole answer. One instance reads one answer.
/// </para>
/// </summary>
public sealed class HermesToolCallParser : IToolCallParser
{
    /// <summary>The text that opens a call.</summary>
    public const string Open = "<tool_call>";

    /// <summary>The text that closes a call.</summary>
    public const string Close = "</tool_call>";

    private readonly StringBuilder pending = new();
    private readonly Func<string> newId;
    private bool inside;
    private bool afterCall;
    private string gap = ""; // the whitespace before the open block: dropped if it is a call, content if not

    /// <summary>A parser whose calls get ids from <paramref name="newId"/> (default: <c>chatcmpl-tool-</c> and a new GUID).</summary>
    public HermesToolCallParser(Func<string>? newId = null) => this.newId = newId ?? NewId;

    /// <summary>Whether a chat template teaches this format (it writes <c>&lt;tool_call&gt;</c>).</summary>
    public static bool Teaches(string template) => template.Contains(Open, StringComparison.Ordinal);

    /// <summary>
    /// The content (null when it is empty and there are calls) and the calls of a whole answer.
    /// </summary>
    public static (string? Content, IReadOnlyList<ChatToolCall> Calls) Parse(string text, Func<string>? newId = null) =>
        ToolCallParsers.Whole(new HermesToolCallParser(newId), text);

    /// <summary>
    /// Takes the next piece of generated text: appends to <paramref name="content"/> the content now safe to show and to
    /// <paramref name="calls"/> the calls whose block closed.
    /// </summary>
    public void Push(string delta, StringBuilder content, List<ChatToolCall> calls)
    {
        ArgumentNullException.ThrowIfNull(delta);
        pending.Append(delta);
        while (Step(content, calls)) { }
    }

    /// <summary>The end of the answer: what was held back, as content, or as a call when a last block left open reads as one.</summary>
    public void Finish(StringBuilder content, List<ChatToolCall> calls)
    {
        string rest = pending.ToString();
        pending.Clear();
        if (inside)
        {
            inside = false;
            if (Call(rest[Open.Length..]) is { } call)
            {
                calls.Add(call);
                return;
            }
            if (Reopened(rest) is int again and > 0)
            {
                ProseBefore(rest, again, content);
                pending.Append(rest, again, rest.Length - again);
                inside = true;
                Finish(content, calls);
                return;
            }
            rest = gap + rest;
        }
        Text(rest, content);
    }

    // One step over what is pending; false when it has to wait for more text.
    private bool Step(StringBuilder content, List<ChatToolCall> calls)
    {
        string text = pending.ToString();
        if (inside)
        {
            int close = text.IndexOf(Close, Open.Length, StringComparison.Ordinal);
            if (close < 0) return false;
            int end = close + Close.Length;
            var call = Call(text[Open.Length..close]);
            if (call is null && Reopened(text[..close]) is int again and > 0)
            {
                // the first "<tool_call>" was prose (e.g. the model naming the tag): the block opens at the later one
                ProseBefore(text, again, content);
                pending.Remove(0, again);
                return true;
            }
            pending.Remove(0, end);
            inside = false;
            if (call is not null)
            {
                calls.Add(call);
                afterCall = true;
            }
            else
            {
                Text(gap + text[..end], content);
            }
            gap = "";
            return true;
        }
        int open = text.IndexOf(Open, StringComparison.Ordinal);
        if (open >= 0)
        {
            ProseBefore(text, open, content);
            pending.Remove(0, open);
            inside = true;
            return true;
        }
        // Hold back a tail that may still become "<tool_call>", and whitespace that may precede one.
        int safe = text.Length - ToolCallJson.TagPrefix(text, Open);
        while (safe > 0 && char.IsWhiteSpace(text[safe - 1])) safe--;
        if (safe > 0 && char.IsHighSurrogate(text[safe - 1])) safe--;
        if (safe == 0) return false;
        Text(text[..safe], content);
        pending.Remove(0, safe);
        return false;
    }

    // The text before a block that opens at `at` is content, but for the whitespace just before the block, held as the
    // gap (dropped if the block is a call, content if not); a gap held so far goes first.
    private void ProseBefore(string text, int at, StringBuilder content)
    {
        int keep = text.AsSpan(0, at).TrimEnd().Length;
        Text(gap + text[..keep], content);
        gap = text[keep..at];
    }

    // Where the last "<tool_call>" of a block's text (which starts with one) opens: 0 when there is no other.
    private static int Reopened(string block) => block.LastIndexOf(Open, StringComparison.Ordinal);

    // Content, without the whitespace that follows a call.
    private void Text(string text, StringBuilder content)
    {
        if (afterCall) text = text.TrimStart();
        if (text.Length == 0) return;
        afterCall = false;
        content.Append(text);
    }

    // A block's JSON as a call, or null when it does not read as one.
    private ChatToolCall? Call(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return ToolCallJson.Read(doc.RootElement, newId, "arguments");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A new call id, as vLLM's: <c>chatcmpl-tool-</c> and a new GUID.</summary>
    internal static string NewId() => "chatcmpl-tool-" + Guid.NewGuid().ToString("N");

    /// <summary><paramref name="text"/> when it is the text of one JSON object, else null.</summary>
    internal static string? Arguments(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
