using System.Text.Json;

namespace Skald.Serving;

/// <summary>
/// Reads the log-probability fields of a request, as OpenAI's API defines them: chat's <c>logprobs</c> (true or false)
/// and <c>top_logprobs</c> (0 to 20, with <c>logprobs: true</c>), and legacy completions' <c>logprobs</c> (an integer
/// from 0 to 5). Each returns how many most likely alternatives to list per token, or null when none are asked for; a
/// bad value is an <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class LogProbFields
{
    /// <summary>Most <c>top_logprobs</c> a chat request may ask for (OpenAI's and vLLM's default limit).</summary>
    public const int MaxChatTop = 20;

    /// <summary>Most <c>logprobs</c> a legacy completions request may ask for (OpenAI's limit).</summary>
    public const int MaxCompletionTop = 5;

    /// <summary>A chat body's <c>logprobs</c> and <c>top_logprobs</c>: null, or the number of alternatives (0 when not given).</summary>
    public static int? Chat(JsonElement root)
    {
        bool on = SamplingFields.Field(root, "logprobs") is { } lp && SamplingFields.Bool(lp, "logprobs");
        int? top = null;
        if (SamplingFields.Field(root, "top_logprobs") is { } tl)
        {
            top = tl.ValueKind == JsonValueKind.Number && tl.TryGetInt32(out int v) && v is >= 0 and <= MaxChatTop ? v
                : throw ApiException.BadRequest($"top_logprobs must be an integer from 0 to {MaxChatTop}", "top_logprobs");
        }
        if (on) return top ?? 0;
        if (top > 0) throw ApiException.BadRequest("top_logprobs needs \"logprobs\": true", "top_logprobs");
        return null;
    }

    /// <summary>A completions body's <c>logprobs</c>: null (absent, null or false), or the number of alternatives.</summary>
    public static int? Completion(JsonElement root)
    {
        if (SamplingFields.Field(root, "logprobs") is not { } lp || lp.ValueKind == JsonValueKind.False) return null;
        return lp.ValueKind == JsonValueKind.Number && lp.TryGetInt32(out int v) && v is >= 0 and <= MaxCompletionTop ? v
            : throw ApiException.BadRequest($"logprobs must be an integer from 0 to {MaxCompletionTop}: how many most likely tokens to list beside each chosen one", "logprobs");
    }
}
