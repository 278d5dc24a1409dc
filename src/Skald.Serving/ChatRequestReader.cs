using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Reads a <c>POST /v1/chat/completions</c> body as OpenAI's API defines it: <c>messages</c> (required; each a
/// <c>role</c> and a <c>content</c> string or array of <c>{"type": "text", "text": ...}</c> parts), <c>max_tokens</c>
/// or <c>max_completion_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>stop</c>, <c>seed</c>, <c>n</c> (1 only),
/// <c>stream</c>, <c>stream_options.include_usage</c>, <c>frequency_penalty</c>, <c>presence_penalty</c>,
/// <c>response_format</c> (<see cref="ResponseFormatReader"/>: <c>text</c>, <c>json_object</c> or <c>json_schema</c>), <c>tools</c>, <c>tool_choice</c>, assistant <c>tool_calls</c> and
/// <c>tool</c> messages (<see cref="ChatToolFields"/>), <c>logprobs</c> and <c>top_logprobs</c> (<see cref="LogProbFields"/>, passed on as
/// <see cref="SkaldChatClient.LogProbsProperty"/>), <c>logit_bias</c> (refused unless empty), and vLLM's
/// extensions <c>top_k</c> and <c>repetition_penalty</c>. Other fields (<c>user</c>, <c>metadata</c>, ...) are ignored.
/// Every problem is an <see cref="ApiException"/> 400 naming the field. The fields it shares with <c>/v1/completions</c> are read by
/// <see cref="SamplingFields"/>.
/// </summary>
internal static class ChatRequestReader
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ChatRequest Read(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonBody.Parse(body, JsonBody.ChatDepth);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.WrongType("the request body must be a JSON object with a \"messages\" array");
        var messages = Messages(root);
        var (options, stream, includeUsage, model) = SamplingFields.Read(root, "max_completion_tokens");
        if (LogProbFields.Chat(root) is int top) (options.AdditionalProperties ??= [])[SkaldChatClient.LogProbsProperty] = top;
        ChatToolFields.Read(root, options);
        if (Field(root, "response_format") is { } format) options.ResponseFormat = ResponseFormatReader.Read(format);
        return new ChatRequest(messages, options, stream, includeUsage, model);
    }

    private static List<ChatMessage> Messages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array)
            throw JsonBody.Missing(root, "messages", "an array of {\"role\", \"content\"} objects");
        if (list.GetArrayLength() == 0) throw ApiException.BadRequest("\"messages\" is empty", "messages");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw ApiException.WrongType($"messages[{i}] must be an object with \"role\" and \"content\"", "messages");
            string role = item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()!
                : throw ApiException.MissingParameter($"messages[{i}].role is required: system, user or assistant", "messages");
            if (!Roles.Contains(role))
                throw ApiException.BadRequest($"messages[{i}].role \"{role}\" is not one this server takes (system, developer, user, assistant, tool)", "messages");
            var calls = role == "assistant" ? ChatToolFields.Calls(item, i) : [];
            // an assistant message that calls may leave its content out, or null
            string text = calls.Count > 0 && (!item.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) ? "" : Content(item, i);
            if (role == "tool") messages.Add(ChatToolFields.Result(item, i, text));
            else
            {
                if (text.Length > 0 || calls.Count == 0) calls.Insert(0, new TextContent(text));
                messages.Add(new ChatMessage(new ChatRole(role == "developer" ? "system" : role), calls));
            }
            i++;
        }
        return messages;
    }

    private static string Content(JsonElement message, int i)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
            throw ApiException.MissingParameter($"messages[{i}].content is required: a string or an array of text parts", "messages");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array)
            throw ApiException.WrongType($"messages[{i}].content must be a string or an array of text parts", "messages");
        var text = new System.Text.StringBuilder();
        bool joinedAny = false;
        foreach (var part in c.EnumerateArray())
        {
            string? type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var pt) && pt.ValueKind == JsonValueKind.String ? pt.GetString() : null;
            if (type != "text")
                throw ApiException.BadRequest($"messages[{i}].content: a \"{type ?? "?"}\" part cannot be read by this model; send {{\"type\": \"text\", \"text\": ...}} parts", "messages");
            if (!part.TryGetProperty("text", out var pt2) || pt2.ValueKind != JsonValueKind.String)
                throw ApiException.MissingParameter($"messages[{i}].content: a text part needs a \"text\" string", "messages");
            if (joinedAny) text.Append('\n'); // parts joined by newlines, as vLLM joins them
            text.Append(pt2.GetString());
            joinedAny = true;
        }
        return text.ToString();
    }

    private static JsonElement? Field(JsonElement e, string name) => SamplingFields.Field(e, name);
}
