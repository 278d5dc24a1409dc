using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Writes OpenAI's chat completion answers: one <c>chat.completion</c> object, or a stream of server-sent events, each a
/// <c>chat.completion.chunk</c> (<c>data: {...}</c>), ended by <c>data: [DONE]</c>.
/// </summary>
internal static class ChatResponses
{
    private static readonly JsonWriterOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>{id, object: "chat.completion", created, model, choices: [{index, message, logprobs, finish_reason}], usage}</c>;
    /// the answer's <see cref="FunctionCallContent"/> are the message's <c>tool_calls</c> (its content null when it has no text).
    /// </summary>
    /// <remarks><paramref name="tokens"/> (the local decoder) names the tokens of the answer's log-probabilities, when they were asked for.</remarks>
    public static Task Completion(HttpResponse response, ChatResponse answer, string model, SkaldChatClient? tokens = null) => ApiResponses.Streamed(response, w =>
    {
        w.WriteStartObject();
        Head(w, answer.ResponseId, "chat.completion", answer.CreatedAt, model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        var calls = answer.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        if (calls.Count > 0 && answer.Text.Length == 0) w.WriteNull("content");
        else w.WriteString("content", answer.Text);
        if (calls.Count > 0) ToolCalls(w, calls, 0, indexed: false);
        w.WriteEndObject();
        LogProbsJson.Chat(w, LogProbsJson.Of(answer.AdditionalProperties), tokens);
        w.WriteString("finish_reason", Reason(answer.FinishReason));
        w.WriteEndObject();
        w.WriteEndArray();
        Usage(w, answer.Usage);
        w.WriteEndObject();
    });

    /// <summary>Starts an event stream (status 200, <c>text/event-stream</c>, not cached).</summary>
    public static void StartEvents(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
    }

    /// <summary>
    /// One <c>chat.completion.chunk</c> event: <paramref name="role"/> and <paramref name="content"/> in its delta (either
    /// may be null), with <paramref name="finish"/> on the last; <paramref name="usage"/> alone makes the usage chunk
    /// (no choices). With <paramref name="tokens"/> (the local decoder; log-probabilities asked for) the update's log-probabilities are its chunk's, their tokens named by it.
    /// <paramref name="calls"/> are the delta's <c>tool_calls</c>, each whole (id, name and all its arguments in one
    /// chunk), numbered from <paramref name="firstCall"/>.
    /// </summary>
    public static Task Chunk(HttpResponse response, ChatResponseUpdate update, string model, bool role, string? content,
        ChatFinishReason? finish, UsageDetails? usage = null, SkaldChatClient? tokens = null,
        IReadOnlyList<FunctionCallContent>? calls = null, int firstCall = 0)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("data: "u8);
        using (var w = new Utf8JsonWriter(buffer, Writing))
        {
            w.WriteStartObject();
            Head(w, update.ResponseId, "chat.completion.chunk", update.CreatedAt, model);
            w.WriteStartArray("choices");
            if (usage is null)
            {
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                w.WriteStartObject("delta");
                if (role) w.WriteString("role", "assistant");
                if (content is not null) w.WriteString("content", content);
                if (calls is { Count: > 0 }) ToolCalls(w, calls, firstCall, indexed: true);
                w.WriteEndObject();
                LogProbsJson.Chat(w, LogProbsJson.Of(update.AdditionalProperties), tokens);
                if (finish is null) w.WriteNull("finish_reason");
                else w.WriteString("finish_reason", Reason(finish));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (usage is not null) Usage(w, usage);
            w.WriteEndObject();
        }
        buffer.Write("\n\n"u8);
        return Send(response, buffer.WrittenMemory);
    }

    /// <summary>The stream's end: <c>data: [DONE]</c>.</summary>
    public static Task Done(HttpResponse response) => Send(response, "data: [DONE]\n\n"u8.ToArray());

    private static async Task Send(HttpResponse response, ReadOnlyMemory<byte> bytes)
    {
        await response.Body.WriteAsync(bytes, response.HttpContext.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private static void Head(Utf8JsonWriter w, string? id, string kind, DateTimeOffset? created, string model)
    {
        w.WriteString("id", id ?? "chatcmpl-skald");
        w.WriteString("object", kind);
        w.WriteNumber("created", (created ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
        w.WriteString("model", model);
        w.WriteNull("system_fingerprint");
    }

    private static void Usage(Utf8JsonWriter w, UsageDetails? usage)
    {
        long prompt = usage?.InputTokenCount ?? 0, completion = usage?.OutputTokenCount ?? 0;
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", usage?.TotalTokenCount ?? prompt + completion);
        w.WriteEndObject();
    }

    private static string Reason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length" : reason == ChatFinishReason.ToolCalls ? "tool_calls" : "stop";

    // "tool_calls": [{(index,) id, type: "function", function: {name, arguments}}], the arguments the text of a JSON object.
    private static void ToolCalls(Utf8JsonWriter w, IReadOnlyList<FunctionCallContent> calls, int first, bool indexed)
    {
        w.WriteStartArray("tool_calls");
        for (int i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            w.WriteStartObject();
            if (indexed) w.WriteNumber("index", first + i);
            w.WriteString("id", call.CallId);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", Arguments(call));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // As the model wrote them (a local decoder's call keeps their text), else the arguments serialized.
    private static string Arguments(FunctionCallContent call) => call.RawRepresentation is ChatToolCall raw && raw.Id == call.CallId
        ? raw.Arguments
        : JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(),
            AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));
}
