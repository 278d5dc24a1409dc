using System.Text.Json;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Reads a <c>POST /v1/completions</c> body (OpenAI's legacy text completions): <c>prompt</c> (required; a string or
/// an array of strings, each continued as one choice) and the fields chat shares (<see cref="SamplingFields"/>), with
/// OpenAI's default of 16 <c>max_tokens</c>, <c>logprobs</c> (<see cref="LogProbFields"/>, passed on as
/// <see cref="SkaldChatClient.LogProbsProperty"/>) and, as vLLM's completions take it, <c>response_format</c>
/// (<see cref="ResponseFormatReader"/>: the chat endpoint's JSON mode and JSON schemas). What this server does not do is
/// refused naming the field: <c>echo</c>, <c>suffix</c>, <c>best_of</c> other than 1, <c>n</c> other than 1, a non-empty
/// <c>logit_bias</c>, <c>tools</c> (other than an empty list: a text completion calls no functions), and token-id prompts. Other fields
/// (<c>user</c>, ...) are ignored. Every problem is an <see cref="ApiException"/> 400.
/// </summary>
internal static class CompletionRequestReader
{
    /// <summary>OpenAI's <c>max_tokens</c> when a completions request gives none.</summary>
    public const int DefaultMaxTokens = 16;

    public static CompletionRequest Read(ReadOnlyMemory<byte> body)
    {
        using var doc = JsonBody.Parse(body, JsonBody.ChatDepth); // (response_format's schema nests as a chat body's does)
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw ApiException.WrongType("the request body must be a JSON object with a \"prompt\"", "prompt");
        var prompts = Prompts(root);
        var (options, stream, includeUsage, model) = SamplingFields.Read(root);
        options.MaxOutputTokens ??= DefaultMaxTokens;
        if (LogProbFields.Completion(root) is int top) (options.AdditionalProperties ??= [])[SkaldChatClient.LogProbsProperty] = top;
        if (SamplingFields.Field(root, "response_format") is { } format) options.ResponseFormat = ResponseFormatReader.Read(format);
        if (SamplingFields.Field(root, "tools") is { } tools && !(tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() == 0))
            throw ApiException.BadRequest("tools are for /v1/chat/completions: a text completion has no tool calls", "tools");
        if (SamplingFields.Field(root, "echo") is { } echo && SamplingFields.Bool(echo, "echo"))
            throw ApiException.BadRequest("echo is not supported by this server: the answer is the continuation alone", "echo");
        if (SamplingFields.Field(root, "suffix") is { } suffix && !(suffix.ValueKind == JsonValueKind.String && suffix.GetString()!.Length == 0))
            throw ApiException.BadRequest("suffix is not supported by this server (no fill-in-the-middle)", "suffix");
        if (SamplingFields.Field(root, "best_of") is { } best && !(best.ValueKind == JsonValueKind.Number && best.TryGetInt32(out int b) && b == 1))
            throw ApiException.BadRequest("best_of must be 1: this server generates one choice per prompt", "best_of");
        return new CompletionRequest(prompts, options, stream, includeUsage, model);
    }

    private static List<string> Prompts(JsonElement root)
    {
        const string What = "\"prompt\" is required: a string or an array of strings";
        if (SamplingFields.Field(root, "prompt") is not { } prompt) throw JsonBody.Missing(root, "prompt", "a string or an array of strings");
        if (prompt.ValueKind == JsonValueKind.String) return [prompt.GetString()!];
        if (prompt.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest(What, "prompt");
        if (prompt.GetArrayLength() == 0) throw ApiException.BadRequest("\"prompt\" is empty", "prompt");
        var prompts = new List<string>();
        foreach (var p in prompt.EnumerateArray())
        {
            prompts.Add(p.ValueKind == JsonValueKind.String ? p.GetString()!
                : throw ApiException.WrongType($"prompt[{prompts.Count}] is not a string (token-id prompts are not taken; send text)", "prompt"));
        }
        return prompts;
    }
}
