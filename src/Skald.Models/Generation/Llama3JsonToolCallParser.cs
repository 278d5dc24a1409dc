using System.Text;
using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// Reads the function calls out of a model's text in the JSON format that Llama 3.1, 3.2 and 3.3 templates teach, as
/// vLLM's <c>llama3_json</c> tool parser reads them: an answer that is a call is a JSON object
/// <c>{"name": "f", "parameters": {...}}</c> (<c>"arguments"</c> is read too), possibly after
/// <c>&lt;|python_tag|&gt;</c>, several separated by <c>;</c>. Written independently from that behaviour: an answer is
/// calls when, past leading whitespace, it starts with <c>&lt;|python_tag|&gt;</c> or <c>{</c> and all of it reads as
/// calls; otherwise all of it is content, unchanged (a malformed call, or an object followed by prose, is left as text).
/// A <c>;</c> inside a JSON string does not split calls. Differences from vLLM (llama_tool_parser.py at commit
/// 500932bbc320fe504bf7d323283e708fd956a549): vLLM's whole-answer reading takes the first JSON it finds anywhere in the
/// text (a regex that reads objects nested at most two deep) and drops the prose around it, while its streaming reads
/// only an answer that starts with the tag or <c>{</c>; here both read the start, so that a streamed answer and the
/// whole one agree, and nothing the model wrote is lost.
/// <para>
/// Streaming: an answer that starts otherwise streams as content at once; one that may be calls is held until
/// <see cref="Finish"/>, which gives its calls (or, if it does not read as calls, the held text as content), so that a
/// streamed answer's pieces add up to <see cref="Parse"/>'s whole answer. One instance reads one answer.
/// </para>
/// </summary>
public sealed class Llama3JsonToolCallParser : IToolCallParser
{
    /// <summary>The special token Llama writes before a call it makes.</summary>
    public const string PythonTag = "<|python_tag|>";

    // The instruction Llama 3.1/3.2/3.3 templates give for calls in JSON.
    private const string Instruction = "\"parameters\": dictionary of argument name";

    private readonly StringBuilder pending = new();
    private readonly Func<string> newId;
    private bool decided; // whether the start of the answer has told content from calls
    private bool holding; // decided as possible calls: held until the end

    /// <summary>A parser whose calls get ids from <paramref name="newId"/> (default: <c>chatcmpl-tool-</c> and a new GUID).</summary>
    public Llama3JsonToolCallParser(Func<string>? newId = null) => this.newId = newId ?? HermesToolCallParser.NewId;

    /// <summary>
    /// Whether a chat template teaches this format: it writes <c>&lt;|python_tag|&gt;</c> (Llama 3.1) or asks for calls as
    /// <c>{"name": function name, "parameters": dictionary of argument name and its value}</c> (Llama 3.1/3.2/3.3).
    /// </summary>
    public static bool Teaches(string template) =>
        template.Contains(PythonTag, StringComparison.Ordinal) || template.Contains(Instruction, StringComparison.Ordinal);

    /// <summary>The content (null when there are calls) and the calls of a whole answer.</summary>
    public static (string? Content, IReadOnlyList<ChatToolCall> Calls) Parse(string text, Func<string>? newId = null) =>
        ToolCallParsers.Whole(new Llama3JsonToolCallParser(newId), text);

    /// <inheritdoc/>
    public void Push(string delta, StringBuilder content, List<ChatToolCall> calls)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (decided && !holding)
        {
            content.Append(delta);
            return;
        }
        pending.Append(delta);
        if (decided) return;
        string start = pending.ToString().TrimStart();
        if (start.Length == 0) return;
        if (start[0] == '{' || start.StartsWith(PythonTag, StringComparison.Ordinal))
        {
            decided = holding = true;
        }
        else if (!PythonTag.StartsWith(start, StringComparison.Ordinal))
        {
            decided = true;
            content.Append(pending);
            pending.Clear();
        }
    }

    /// <inheritdoc/>
    public void Finish(StringBuilder content, List<ChatToolCall> calls)
    {
        string rest = pending.ToString();
        pending.Clear();
        if (holding && Calls(rest) is { } read) calls.AddRange(read);
        else content.Append(rest);
        decided = true;
        holding = false;
    }

    // The calls an answer's text is, or null when it is not calls alone.
    private List<ChatToolCall>? Calls(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        int at = Skip(bytes, 0);
        if (bytes.AsSpan(at).StartsWith(Encoding.UTF8.GetBytes(PythonTag))) at += Encoding.UTF8.GetByteCount(PythonTag);
        var calls = new List<ChatToolCall>();
        while (true)
        {
            at = Skip(bytes, at);
            if (at == bytes.Length || bytes[at] != (byte)'{') return null;
            var reader = new Utf8JsonReader(bytes.AsSpan(at));
            try
            {
                using var doc = JsonDocument.ParseValue(ref reader);
                if (Call(doc.RootElement) is not { } call) return null;
                calls.Add(call);
            }
            catch (JsonException)
            {
                return null;
            }
            at = Skip(bytes, at + (int)reader.BytesConsumed);
            if (at == bytes.Length) return calls;
            if (bytes[at] != (byte)';') return null;
            at++;
        }
    }

    // A JSON object as a call: a non-empty string "name" and an object (or absent) "parameters" or "arguments".
    private ChatToolCall? Call(JsonElement root) => ToolCallJson.Read(root, newId, "parameters", "arguments");

    private static int Skip(byte[] bytes, int at)
    {
        while (at < bytes.Length && bytes[at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') at++;
        return at;
    }
}
