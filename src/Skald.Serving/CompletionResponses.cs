using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Writes OpenAI's legacy completion answers: one <c>text_completion</c> object with a choice per prompt, or a stream of
/// server-sent <c>text_completion</c> events (one choice each, by index), ended by <c>data: [DONE]</c>
/// (<see cref="ChatResponses.Done"/>).
/// </summary>
internal static class CompletionResponses
{
    private static readonly JsonWriterOptions Writing = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>{id, object: "text_completion", created, model, choices: [{text, index, logprobs, finish_reason}], usage}</c>,
    /// choice i the answer to prompt i, with its log-probabilities when they were asked for (tokens named by <paramref name="tokens"/>).
    /// </summary>
    public static Task Completion(HttpResponse response, string id, long created, string model, IReadOnlyList<ChatResponse> answers,
        UsageDetails usage, SkaldChatClient? tokens = null) => ApiResponses.Streamed(response, w =>
    {
        w.WriteStartObject();
        Head(w, id, created, model);
        w.WriteStartArray("choices");
        for (int i = 0; i < answers.Count; i++)
        {
            Choice(w, i, answers[i].Text, answers[i].FinishReason, LogProbsJson.Of(answers[i].AdditionalProperties), tokens, new TextOffsets());
        }
        w.WriteEndArray();
        Usage(w, usage);
        w.WriteEndObject();
    });

    /// <summary>
    /// One event: choice <paramref name="index"/>'s new <paramref name="text"/>, with <paramref name="finish"/> on its last;
    /// <paramref name="usage"/> alone makes the usage event (no choices). <paramref name="logProbs"/> are the log-probabilities
    /// of the event's tokens (named by <paramref name="tokens"/>), their text_offset counted from <paramref name="offsets"/>[index]
    /// (which holds the choice's tokens of earlier events).
    /// </summary>
    public static Task Chunk(HttpResponse response, string id, long created, string model, int index, string text,
        ChatFinishReason? finish, IReadOnlyList<TokenLogProbs>? logProbs = null, SkaldChatClient? tokens = null, TextOffsets[]? offsets = null,
        UsageDetails? usage = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("data: "u8);
        using (var w = new Utf8JsonWriter(buffer, Writing))
        {
            w.WriteStartObject();
            Head(w, id, created, model);
            w.WriteStartArray("choices");
            if (usage is null)
            {
                Choice(w, index, text, finish, logProbs, tokens, offsets?[index] ?? new TextOffsets());
            }
            w.WriteEndArray();
            if (usage is not null) Usage(w, usage);
            w.WriteEndObject();
        }
        buffer.Write("\n\n"u8);
        return Send(response, buffer.WrittenMemory);
    }

    private static async Task Send(HttpResponse response, ReadOnlyMemory<byte> bytes)
    {
        await response.Body.WriteAsync(bytes, response.HttpContext.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(response.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private static void Head(Utf8JsonWriter w, string id, long created, string model)
    {
        w.WriteString("id", id);
        w.WriteString("object", "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteNull("system_fingerprint");
    }

    private static void Choice(Utf8JsonWriter w, int index, string text, ChatFinishReason? finish, IReadOnlyList<TokenLogProbs>? logProbs,
        SkaldChatClient? tokens, TextOffsets offsets)
    {
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteNumber("index", index);
        LogProbsJson.Completion(w, logProbs, tokens, offsets);
        if (finish is null) w.WriteNull("finish_reason");
        else w.WriteString("finish_reason", finish == ChatFinishReason.Length ? "length" : "stop");
        w.WriteEndObject();
    }

    private static void Usage(Utf8JsonWriter w, UsageDetails usage)
    {
        long prompt = usage.InputTokenCount ?? 0, completion = usage.OutputTokenCount ?? 0;
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteEndObject();
    }
}
