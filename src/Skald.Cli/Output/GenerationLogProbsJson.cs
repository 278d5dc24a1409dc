using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tokenizers;

namespace Skald.Cli.Output;

/// <summary>
/// A <c>skald generate</c> output row's <c>logprobs</c> (<c>--logprobs</c>, <c>--top-logprobs N</c>), in the shape of
/// an OpenAI chat choice's, as <c>skald serve</c> answers it (<see cref="TokenLogProbsJson"/>, the writer both share):
/// <c>{"content": [{"token", "id", "logprob", "bytes", "top_logprobs": [{"token", "id", "logprob", "bytes"}, ...]}, ...]}</c>,
/// one entry per new id, <c>id</c> (beyond OpenAI's fields) the token id.
/// </summary>
internal static class GenerationLogProbsJson
{
    /// <summary>Writes the <c>logprobs</c> property of a row whose entries are <paramref name="entries"/>.</summary>
    public static void Write(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs> entries, Tokenizer tokenizer)
    {
        w.WriteStartObject("logprobs");
        TokenLogProbsJson.Content(w, entries, tokenizer, ids: true);
        w.WriteEndObject();
    }
}
