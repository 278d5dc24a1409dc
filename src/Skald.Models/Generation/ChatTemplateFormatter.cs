using System.Text.Json;
using System.Text.Json.Nodes;
using Skald.Tokenizers.Templates;

namespace Skald.Models.Generation;

/// <summary>
/// <see cref="IChatFormatter"/> over a model folder's Jinja <see cref="ChatTemplate"/> (tokenizer_config.json's
/// <c>chat_template</c> or chat_template.jinja), applied with <c>add_generation_prompt = true</c> as transformers'
/// <c>apply_chat_template</c> does. Tools are the template's <c>tools</c> variable; an assistant turn's calls are its
/// message's <c>tool_calls</c> (<c>{"id", "type": "function", "function": {"name", "arguments"}}</c>, the arguments a
/// mapping, as transformers' templates and vLLM pass them) and a tool turn is <c>{"role": "tool", "tool_call_id",
/// "name", "content"}</c>.
/// </summary>
public sealed class ChatTemplateFormatter : IChatFormatter
{
    /// <summary>Wraps <paramref name="template"/>.</summary>
    public ChatTemplateFormatter(ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        Template = template;
    }

    /// <summary>The template.</summary>
    public ChatTemplate Template { get; }

    /// <summary>
    /// The chat template of <paramref name="folder"/>, or null when it has none; throws
    /// <see cref="ChatTemplateException"/> (one line naming the file) for a malformed or unsupported template.
    /// </summary>
    public static ChatTemplateFormatter? Load(string folder) =>
        ChatTemplate.Load(folder) is { } template ? new ChatTemplateFormatter(template) : null;

    /// <inheritdoc />
    public string Format(IReadOnlyList<ChatTurn> messages) => Format(messages, []);

    /// <inheritdoc />
    /// <remarks>Throws <see cref="ChatTemplateException"/> for a call whose arguments are not the text of a JSON object.</remarks>
    public string Format(IReadOnlyList<ChatTurn> messages, IReadOnlyList<JsonElement> tools) => Format(messages, tools, null)!;

    /// <inheritdoc />
    /// <remarks>
    /// The limit stops <see cref="ChatTemplate.ApplyWithin"/>. Throws <see cref="ChatTemplateException"/> for a call
    /// whose arguments are not the text of a JSON object.
    /// </remarks>
    public string? Format(IReadOnlyList<ChatTurn> messages, IReadOnlyList<JsonElement> tools, RenderLimit? limit)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tools);
        if (tools.Count == 0 && messages.All(m => m.ToolCalls is not { Count: > 0 } && m.ToolCallId is null && m.Name is null))
            return Template.ApplyWithin([.. messages.Select(m => new ChatMessage(m.Role, m.Content))], addGenerationPrompt: true, limit);
        var list = new JsonArray();
        foreach (var m in messages) list.Add(Message(m));
        var extra = tools.Count == 0 ? null : new Dictionary<string, object?> { ["tools"] = tools.ToList() };
        using var doc = JsonDocument.Parse(list.ToJsonString());
        return Template.ApplyJsonWithin(doc.RootElement, addGenerationPrompt: true, limit, extra);
    }

    private static JsonObject Message(ChatTurn turn)
    {
        var message = new JsonObject { ["role"] = turn.Role };
        if (turn.ToolCallId is not null) message["tool_call_id"] = turn.ToolCallId;
        if (turn.Name is not null) message["name"] = turn.Name;
        message["content"] = turn.Content;
        if (turn.ToolCalls is { Count: > 0 } calls)
        {
            var list = new JsonArray();
            foreach (var call in calls)
            {
                list.Add(new JsonObject
                {
                    ["id"] = call.Id,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = Arguments(call) },
                });
            }
            message["tool_calls"] = list;
        }
        return message;
    }

    private static JsonObject Arguments(ChatToolCall call)
    {
        try
        {
            if (JsonNode.Parse(call.Arguments) is JsonObject arguments) return arguments;
        }
        catch (JsonException)
        {
        }
        throw new ChatTemplateException($"tool call {call.Id} ({call.Name}): arguments must be the text of a JSON object, got: {call.Arguments}");
    }
}
