using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// The fields OpenAI's chat completions and (legacy) completions bodies share: <c>max_tokens</c>, <c>temperature</c>,
/// <c>top_p</c>, vLLM's <c>top_k</c> and <c>repetition_penalty</c>, <c>frequency_penalty</c>, <c>presence_penalty</c>,
/// <c>seed</c>, <c>stop</c>, <c>n</c> (1 only), <c>stream</c>, <c>stream_options.include_usage</c> and <c>model</c>;
/// a <c>logit_bias</c> other than none or <c>{}</c> is refused (it could not be honoured); a <c>temperature</c> below
/// 1e-5 decodes greedily, as vLLM's does. Every problem is an
/// <see cref="ApiException"/> 400 naming the field.
/// </summary>
internal static class SamplingFields
{
    /// <summary>A <c>temperature</c> below this is greedy decoding (0), as vLLM's sampler treats it (its 1e-5 epsilon).</summary>
    public const float GreedyBelow = 1e-5f;

    /// <summary>
    /// The shared fields of <paramref name="root"/> (a JSON object) as chat options and stream flags; the length is
    /// <paramref name="lengthField"/> when given and present (chat's <c>max_completion_tokens</c>), else <c>max_tokens</c>.
    /// </summary>
    public static (ChatOptions Options, bool Stream, bool IncludeUsage, string? Model) Read(JsonElement root, string? lengthField = null)
    {
        var options = new ChatOptions();
        if (lengthField is not null && Field(root, lengthField) is { } length)
        {
            options.MaxOutputTokens = PositiveInt(length, lengthField);
            (options.AdditionalProperties ??= [])[SkaldChatClient.LengthFieldProperty] = lengthField;
        }
        else if (Field(root, "max_tokens") is { } mt) options.MaxOutputTokens = PositiveInt(mt, "max_tokens");
        if (Field(root, "temperature") is { } t)
        {
            // as vLLM: below 1e-5 is greedy (logits over a temperature that small overflow to infinities, which sample garbage)
            float temperature = Number(t, "temperature", v => v is >= 0 and <= 2, "a number from 0 to 2");
            options.Temperature = temperature < GreedyBelow ? 0f : temperature;
        }
        if (Field(root, "top_p") is { } tp) options.TopP = Number(tp, "top_p", v => v is > 0 and <= 1, "a number in (0, 1]");
        if (Field(root, "top_k") is { } tk)
        {
            int k = tk.ValueKind == JsonValueKind.Number && tk.TryGetInt32(out int v) && v >= -1 ? v
                : throw ApiException.BadRequest("top_k must be an integer ≥ 0 (or -1: off)", "top_k");
            options.TopK = Math.Max(k, 0);
        }
        if (Field(root, "repetition_penalty") is { } rp)
        {
            (options.AdditionalProperties ??= [])["repetition_penalty"] = Number(rp, "repetition_penalty",
                v => v is >= SkaldChatClient.MinRepetitionPenalty and <= SkaldChatClient.MaxRepetitionPenalty,
                $"a number from {SkaldChatClient.MinRepetitionPenalty:R} to {SkaldChatClient.MaxRepetitionPenalty:R} (1: off)");
        }
        if (Field(root, "frequency_penalty") is { } fp) options.FrequencyPenalty = Number(fp, "frequency_penalty", v => v is >= -2 and <= 2, "a number from -2 to 2");
        if (Field(root, "presence_penalty") is { } pp) options.PresencePenalty = Number(pp, "presence_penalty", v => v is >= -2 and <= 2, "a number from -2 to 2");
        if (Field(root, "seed") is { } seed)
            options.Seed = seed.ValueKind == JsonValueKind.Number && seed.TryGetInt64(out long s) ? s
                : throw ApiException.WrongType("seed must be an integer", "seed");
        if (Field(root, "stop") is { } stop) options.StopSequences = Stops(stop);
        // Microsoft.Extensions.AI's options carry no token biases, so one left out would be a biased request answered unbiased.
        if (Field(root, "logit_bias") is { } bias && !(bias.ValueKind == JsonValueKind.Object && !bias.EnumerateObject().Any()))
            throw ApiException.BadRequest("logit_bias is not supported by this server: token likelihoods are not changed (send none, or {})", "logit_bias");
        if (Field(root, "n") is { } n && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int count) && count == 1))
            throw ApiException.BadRequest("n must be 1: this server generates one choice per request", "n");
        bool stream = Field(root, "stream") is { } st && Bool(st, "stream");
        bool includeUsage = false;
        if (Field(root, "stream_options") is { } so)
        {
            if (so.ValueKind != JsonValueKind.Object) throw ApiException.WrongType("stream_options must be an object", "stream_options");
            includeUsage = Field(so, "include_usage") is { } iu && Bool(iu, "stream_options");
        }
        string? model = null;
        if (Field(root, "model") is { } m)
            model = m.ValueKind == JsonValueKind.String ? m.GetString() : throw ApiException.WrongType("\"model\" must be a string", "model");
        return (options, stream, includeUsage, model);
    }

    /// <summary>The field <paramref name="name"/> of <paramref name="e"/>, unless absent or null.</summary>
    public static JsonElement? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>An integer of at least 1 (a 400 naming <paramref name="name"/> otherwise).</summary>
    public static int PositiveInt(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v >= 1 ? v
            : throw ApiException.BadRequest($"{name} must be an integer of at least 1", name);

    /// <summary>true or false (a 400 naming <paramref name="name"/> otherwise).</summary>
    public static bool Bool(JsonElement e, string name) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw ApiException.WrongType($"{name} must be true or false", name),
    };

    // The range is checked on the float the model is given: 1e-300 is 0 as a float, which top_p's (0, 1] leaves out.
    private static float Number(JsonElement e, string name, Func<double, bool> ok, string what) =>
        e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && ok((float)v) ? (float)v
            : throw ApiException.BadRequest($"{name} must be {what}", name);

    private static List<string> Stops(JsonElement stop)
    {
        var stops = new List<string>();
        if (stop.ValueKind == JsonValueKind.String) stops.Add(stop.GetString()!);
        else if (stop.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in stop.EnumerateArray())
                stops.Add(s.ValueKind == JsonValueKind.String ? s.GetString()! : throw ApiException.WrongType("stop must be a string or an array of strings", "stop"));
        }
        else throw ApiException.WrongType("stop must be a string or an array of strings", "stop");
        if (stops.Count > 16) throw ApiException.BadRequest($"{stops.Count} stop sequences is more than this server takes (16)", "stop");
        if (stops.Any(s => s.Length == 0)) throw ApiException.BadRequest("a stop sequence is empty", "stop");
        return stops;
    }
}
