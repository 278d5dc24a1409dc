using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// The function-calling fields of a <c>POST /v1/chat/completions</c> body, as OpenAI's API defines them and vLLM's
/// <c>--enable-auto-tool-choice</c> takes them: <c>tools</c> (<c>{"type": "function", "function": {"name",
/// "description", "parameters"}}</c> each, as <see cref="ChatOptions.Tools"/> declarations), <c>tool_choice</c>
/// (<c>"auto"</c>; <c>"none"</c>: the tools are still shown to the model, as vLLM does, but its answer is text; a named
/// function, <see cref="ChatToolMode.RequireSpecific"/>; <c>"required"</c>, <see cref="ChatToolMode.RequireAny"/>: the
/// answer is decoded as calls to the tools), an assistant message's
/// <c>tool_calls</c> (<see cref="FunctionCallContent"/>, the arguments' text kept as the client sent it) and a
/// <c>tool</c> message (<see cref="FunctionResultContent"/> answering its <c>tool_call_id</c>), and
/// <c>parallel_tool_calls</c> (<see cref="ChatOptions.AllowMultipleToolCalls"/>: false reads only the answer's first
/// call, as vLLM does). Every problem is an
/// <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class ChatToolFields
{
    /// <summary>Sets <paramref name="options"/>' tools and tool mode from <paramref name="root"/>.</summary>
    public static void Read(JsonElement root, ChatOptions options)
    {
        var tools = SamplingFields.Field(root, "tools");
        if (tools is { } list)
        {
            if (list.ValueKind != JsonValueKind.Array) throw ApiException.WrongType("tools must be an array of {\"type\": \"function\", \"function\": {...}} objects", "tools");
            int i = 0;
            foreach (var tool in list.EnumerateArray()) (options.Tools ??= []).Add(Tool(tool, i++));
        }
        if (SamplingFields.Field(root, "parallel_tool_calls") is { } parallel) options.AllowMultipleToolCalls = SamplingFields.Bool(parallel, "parallel_tool_calls");
        if (SamplingFields.Field(root, "tool_choice") is not { } choice) return;
        string? mode = choice.ValueKind == JsonValueKind.String ? choice.GetString() : null;
        if (mode == "auto") options.ToolMode = ChatToolMode.Auto;
        else if (mode == "none") options.ToolMode = ChatToolMode.None;
        else if (choice.ValueKind == JsonValueKind.Object) options.ToolMode = ChatToolMode.RequireSpecific(Named(choice));
        else if (mode == "required") options.ToolMode = ChatToolMode.RequireAny;
        else throw ApiException.BadRequest("tool_choice must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}", "tool_choice");
    }

    // tool_choice {"type": "function", "function": {"name": ...}}: the function's name.
    private static string Named(JsonElement choice) =>
        choice.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "function"
        && choice.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
        && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } name ? name
            : throw ApiException.BadRequest("tool_choice naming a function must be {\"type\": \"function\", \"function\": {\"name\": ...}}", "tool_choice");

    private static AIFunctionDeclaration Tool(JsonElement tool, int i)
    {
        string at = $"tools[{i}]";
        if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw ApiException.WrongType($"{at} must be an object with \"type\": \"function\" and a \"function\"", "tools");
        if (type.GetString() != "function")
            throw ApiException.BadRequest($"{at}.type \"{type.GetString()}\" is not one this server takes (\"function\")", "tools");
        if (!tool.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
            throw ApiException.MissingParameter($"{at}.function is required: an object with a \"name\"", "tools");
        string name = f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } s ? s
            : throw ApiException.MissingParameter($"{at}.function.name is required: a string", "tools");
        string? description = null;
        if (f.TryGetProperty("description", out var d) && d.ValueKind != JsonValueKind.Null)
            description = d.ValueKind == JsonValueKind.String ? d.GetString() : throw ApiException.WrongType($"{at}.function.description must be a string", "tools");
        JsonElement parameters = default;
        if (f.TryGetProperty("parameters", out var p) && p.ValueKind != JsonValueKind.Null)
            parameters = p.ValueKind == JsonValueKind.Object ? p.Clone() : throw ApiException.WrongType($"{at}.function.parameters must be a JSON schema object", "tools");
        return AIFunctionFactory.CreateDeclaration(name, description, parameters);
    }

    /// <summary>
    /// An assistant message's <c>tool_calls</c> (none: an empty list) as contents; <paramref name="i"/> is the message's index.
    /// </summary>
    public static List<AIContent> Calls(JsonElement message, int i)
    {
        var contents = new List<AIContent>();
        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null) return contents;
        if (calls.ValueKind != JsonValueKind.Array) throw ApiException.WrongType($"messages[{i}].tool_calls must be an array", "messages");
        int j = 0;
        foreach (var call in calls.EnumerateArray())
        {
            string at = $"messages[{i}].tool_calls[{j++}]";
            if (call.ValueKind != JsonValueKind.Object) throw ApiException.WrongType($"{at} must be an object with \"id\" and \"function\"", "messages");
            string id = String(call, "id", at);
            if (!call.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.Object)
                throw ApiException.MissingParameter($"{at}.function is required: {{\"name\", \"arguments\"}}", "messages");
            string name = String(f, "name", $"{at}.function");
            string arguments = String(f, "arguments", $"{at}.function");
            var parsed = new Dictionary<string, object?>(StringComparer.Ordinal);
            try
            {
                using var doc = JsonDocument.Parse(arguments);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not an object");
                foreach (var a in doc.RootElement.EnumerateObject()) parsed[a.Name] = a.Value.Clone();
            }
            catch (JsonException)
            {
                throw ApiException.BadRequest($"{at}.function.arguments must be the text of a JSON object", "messages");
            }
            contents.Add(new FunctionCallContent(id, name, parsed) { RawRepresentation = new ChatToolCall(id, name, arguments) });
        }
        return contents;
    }

    /// <summary>A <c>tool</c> message: its <paramref name="content"/> as the result of the call its <c>tool_call_id</c> names.</summary>
    public static ChatMessage Result(JsonElement message, int i, string content)
    {
        string id = String(message, "tool_call_id", $"messages[{i}]");
        string? name = message.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(id, content)]) { AuthorName = name };
    }

    private static string String(JsonElement e, string field, string at) =>
        e.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw ApiException.MissingParameter($"{at}.{field} is required: a string", "messages");
}
