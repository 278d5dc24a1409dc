using System.Text.Json;
using Microsoft.Extensions.AI;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Generation;

/// <summary>
/// Microsoft.Extensions.AI's function calling as <see cref="SkaldChatClient"/> shows it to a chat template and reads it
/// back: <see cref="FunctionCallContent"/> in an assistant message becomes its turn's <see cref="ChatTurn.ToolCalls"/>,
/// each <see cref="FunctionResultContent"/> a <c>tool</c> turn answering its call id, <see cref="ChatOptions.Tools"/>
/// OpenAI's function definitions, and the calls read from an answer <see cref="FunctionCallContent"/> again.
/// </summary>
internal static class ChatToolTurns
{
    /// <summary>The turns of a conversation (<see cref="ChatOptions.Instructions"/> first, as a system turn).</summary>
    public static List<ChatTurn> Turns(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var turns = new List<ChatTurn>();
        if (options?.Instructions is { Length: > 0 } instructions) turns.Add(new ChatTurn("system", instructions));
        int i = 0;
        foreach (var m in messages)
        {
            if (m.Contents.FirstOrDefault(c => c is not (TextContent or FunctionCallContent or FunctionResultContent)) is { } other)
                throw new ArgumentException($"message {i}: {other.GetType().Name} content cannot be read by this model; send text");
            i++;
            var results = m.Contents.OfType<FunctionResultContent>().ToList();
            if (results.Count > 0)
            {
                foreach (var r in results) turns.Add(new ChatTurn("tool", ResultText(r)) { ToolCallId = r.CallId, Name = m.AuthorName });
                continue;
            }
            var calls = m.Contents.OfType<FunctionCallContent>().Select(c => new ChatToolCall(c.CallId, c.Name, ArgumentsText(c))).ToList();
            turns.Add(new ChatTurn(m.Role.Value, m.Text) { ToolCalls = calls.Count > 0 ? calls : null });
        }
        return turns;
    }

    /// <summary>
    /// The functions of <see cref="ChatOptions.Tools"/> as OpenAI's definitions, <c>{"type": "function", "function":
    /// {"name", "description", "parameters"}}</c> (no description when it is empty; the parameters are the function's
    /// JSON schema). A tool that is not a function is a <see cref="ChatOptionException"/> naming <c>tools</c>.
    /// </summary>
    public static List<JsonElement> Definitions(ChatOptions? options)
    {
        var definitions = new List<JsonElement>();
        foreach (var tool in options?.Tools ?? [])
        {
            if (tool is not AIFunctionDeclaration f)
                throw new ChatOptionException($"the tool {tool.Name} ({tool.GetType().Name}) is not a function; this model calls functions only", "tools");
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", f.Name);
                if (!string.IsNullOrEmpty(f.Description)) w.WriteString("description", f.Description);
                if (f.JsonSchema.ValueKind != JsonValueKind.Undefined)
                {
                    w.WritePropertyName("parameters");
                    f.JsonSchema.WriteTo(w);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            using var doc = JsonDocument.Parse(buffer.ToArray());
            definitions.Add(doc.RootElement.Clone());
        }
        return definitions;
    }

    /// <summary>The contents of an answer: its text (none when empty and there are calls), then a <see cref="FunctionCallContent"/> per call.</summary>
    public static List<AIContent> Contents(string? content, IReadOnlyList<ChatToolCall> calls)
    {
        var contents = new List<AIContent>(calls.Count + 1);
        if (content is { Length: > 0 } || calls.Count == 0) contents.Add(new TextContent(content ?? ""));
        foreach (var call in calls) contents.Add(Call(call));
        return contents;
    }

    /// <summary>
    /// A call as Microsoft.Extensions.AI's content: the arguments as a dictionary of JSON elements, the call itself its
    /// <see cref="AIContent.RawRepresentation"/> (so that a server answers with the arguments' text as the model wrote it).
    /// </summary>
    public static FunctionCallContent Call(ChatToolCall call)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(call.Arguments))
        {
            foreach (var p in doc.RootElement.EnumerateObject()) arguments[p.Name] = p.Value.Clone();
        }
        return new FunctionCallContent(call.Id, call.Name, arguments) { RawRepresentation = call };
    }

    /// <summary>A call's arguments as the text of a JSON object.</summary>
    public static string ArgumentsText(FunctionCallContent call)
    {
        if (call.RawRepresentation is ChatToolCall { } raw && raw.Id == call.CallId) return raw.Arguments;
        var info = AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>));
        return JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), info);
    }

    /// <summary>
    /// A function's result as the text of a tool turn: a string (or a JSON string) as it is, anything else as JSON; one
    /// that cannot be written as JSON is an <see cref="ArgumentException"/> naming its call.
    /// </summary>
    public static string ResultText(FunctionResultContent content)
    {
        try
        {
            return content.Result switch
            {
                null => "",
                string s => s,
                JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
                JsonElement e => e.GetRawText(),
                var result => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions.GetTypeInfo(result.GetType())),
            };
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new ArgumentException($"the result of call {content.CallId} ({content.Result!.GetType().Name}) cannot be written as JSON for the model: {e.Message}", e);
        }
    }
}
