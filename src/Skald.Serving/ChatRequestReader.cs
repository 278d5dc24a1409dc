using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Skald.Serving;

/// <summary>
/// Reads a <c>POST /v1/chat/completions</c> body as OpenAI's API defines it: <c>messages</c> (required; each a
/// <c>role</c> and a <c>content</c> string or array of <c>{"type": "text", "text": ...}</c> parts), <c>max_tokens</c>
/// or <c>max_completion_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>stop</c>, <c>seed</c>, <c>n</c> (1 only),
/// <c>stream</c>, <c>stream_options.include_usage</c>, <c>frequency_penalty</c>, <c>presence_penalty</c>,
/// <c>response_format</c>, <c>tools</c>, <c>logprobs</c>, and vLLM's extensions <c>top_k</c> and
/// <c>repetition_penalty</c>. Other fields (<c>user</c>, <c>metadata</c>, ...) are ignored. Every problem is an
/// <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class ChatRequestReader
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant"];

    public static ChatRequest Read(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonBody.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("the request body must be a JSON object with a \"messages\" array");
        var messages = Messages(root);
        var options = new ChatOptions();
        if (Field(root, "max_completion_tokens") is { } mct) options.MaxOutputTokens = PositiveInt(mct, "max_completion_tokens");
        else if (Field(root, "max_tokens") is { } mt) options.MaxOutputTokens = PositiveInt(mt, "max_tokens");
        if (Field(root, "temperature") is { } t) options.Temperature = Number(t, "temperature", v => v is >= 0 and <= 2, "a number from 0 to 2");
        if (Field(root, "top_p") is { } tp) options.TopP = Number(tp, "top_p", v => v is > 0 and <= 1, "a number in (0, 1]");
        if (Field(root, "top_k") is { } tk)
        {
            int k = tk.ValueKind == JsonValueKind.Number && tk.TryGetInt32(out int v) && v >= -1 ? v
                : throw ApiException.BadRequest("top_k must be an integer ≥ 0 (or -1: off)", "top_k");
            options.TopK = Math.Max(k, 0);
        }
        if (Field(root, "repetition_penalty") is { } rp)
            (options.AdditionalProperties ??= [])["repetition_penalty"] = Number(rp, "repetition_penalty", v => v > 0 && v <= 1e6, "a number > 0");
        if (Field(root, "frequency_penalty") is { } fp) options.FrequencyPenalty = Number(fp, "frequency_penalty", v => v is >= -2 and <= 2, "a number from -2 to 2");
        if (Field(root, "presence_penalty") is { } pp) options.PresencePenalty = Number(pp, "presence_penalty", v => v is >= -2 and <= 2, "a number from -2 to 2");
        if (Field(root, "seed") is { } seed)
            options.Seed = seed.ValueKind == JsonValueKind.Number && seed.TryGetInt64(out long s) ? s
                : throw ApiException.BadRequest("seed must be an integer", "seed");
        if (Field(root, "stop") is { } stop) options.StopSequences = Stops(stop);
        if (Field(root, "n") is { } n && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int count) && count == 1))
            throw ApiException.BadRequest("n must be 1: this server generates one choice per request", "n");
        if (Field(root, "logprobs") is { ValueKind: JsonValueKind.True })
            throw ApiException.BadRequest("logprobs are not supported by this server", "logprobs");
        if (Field(root, "tools") is { ValueKind: JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw ApiException.BadRequest("tools are not supported by this server", "tools");
        if (Field(root, "response_format") is { } format)
        {
            string? type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var ft) && ft.ValueKind == JsonValueKind.String
                ? ft.GetString() : throw ApiException.BadRequest("response_format must be an object with a \"type\"", "response_format");
            if (type != "text")
                throw ApiException.BadRequest($"response_format \"{type}\" is not supported: the model's output is not constrained (use \"text\")", "response_format");
        }
        bool stream = Field(root, "stream") is { } st && Bool(st, "stream");
        bool includeUsage = false;
        if (Field(root, "stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("stream_options must be an object", "stream_options");
            includeUsage = Field(so, "include_usage") is { } iu && Bool(iu, "stream_options");
        }
        string? model = null;
        if (Field(root, "model") is { } m)
            model = m.ValueKind == JsonValueKind.String ? m.GetString() : throw ApiException.BadRequest("\"model\" must be a string", "model");
        return new ChatRequest(messages, options, stream, includeUsage, model);
    }

    private static List<ChatMessage> Messages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array)
            throw ApiException.BadRequest("\"messages\" is required: an array of {\"role\", \"content\"} objects", "messages");
        if (list.GetArrayLength() == 0) throw ApiException.BadRequest("\"messages\" is empty", "messages");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest($"messages[{i}] must be an object with \"role\" and \"content\"", "messages");
            string role = item.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()!
                : throw ApiException.BadRequest($"messages[{i}].role is required: system, user or assistant", "messages");
            if (!Roles.Contains(role))
                throw ApiException.BadRequest($"messages[{i}].role \"{role}\" is not one this server takes (system, developer, user, assistant)", "messages");
            if (item.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0)
                throw ApiException.BadRequest($"messages[{i}] holds tool_calls: tools are not supported by this server", "messages");
            messages.Add(new ChatMessage(new ChatRole(role == "developer" ? "system" : role), Content(item, i)));
            i++;
        }
        return messages;
    }

    private static string Content(JsonElement message, int i)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest($"messages[{i}].content is required: a string or an array of text parts", "messages");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array)
            throw ApiException.BadRequest($"messages[{i}].content must be a string or an array of text parts", "messages");
        var text = new System.Text.StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            string? type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var pt) && pt.ValueKind == JsonValueKind.String ? pt.GetString() : null;
            if (type != "text")
                throw ApiException.BadRequest($"messages[{i}].content: a \"{type ?? "?"}\" part cannot be read by this model; send {{\"type\": \"text\", \"text\": ...}} parts", "messages");
            if (!part.TryGetProperty("text", out var pt2) || pt2.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"messages[{i}].content: a text part needs a \"text\" string", "messages");
            text.Append(pt2.GetString());
        }
        return text.ToString();
    }

    private static List<string> Stops(JsonElement stop)
    {
        var stops = new List<string>();
        if (stop.ValueKind == JsonValueKind.String) stops.Add(stop.GetString()!);
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in stop.EnumerateArray())
                stops.Add(s.ValueKind == JsonValueKind.String ? s.GetString()! : throw ApiException.BadRequest("stop must be a string or an array of strings", "stop"));
        }
        else throw ApiException.BadRequest("stop must be a string or an array of strings", "stop");
        if (stops.Count > 16) throw ApiException.BadRequest($"{stops.Count} stop sequences is more than this server takes (16)", "stop");
        if (stops.Any(s => s.Length == 0)) throw ApiException.BadRequest("a stop sequence is empty", "stop");
        return stops;
    }

    private static JsonElement? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static int PositiveInt(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 1 ? v
            : throw ApiException.BadRequest($"{name} must be an integer of at least 1", name);

    private static float Number(JsonElement e, string name, Func<double, bool> ok, string what) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && ok(v) ? (float)v
            : throw ApiException.BadRequest($"{name} must be {what}", name);

    private static bool Bool(JsonElement e, string name) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw ApiException.BadRequest($"{name} must be true or false", name),
    };
}
