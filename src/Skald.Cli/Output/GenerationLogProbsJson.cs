using System.Text.Json;
using Skald.Models.Generation;
using Skald.Tokenizers;

namespace Skald.Cli.Output;

/// <summary>
/// A <c>skald generate</c> output row's <c>logprobs</c> (<c>--logprobs</c>, <c>--top-logprobs N</c>), in the shape of
/// an OpenAI chat choice's, as <c>skald serve</c> answers it: <c>{"content": [{"token", "id", "logprob", "bytes",
/// "top_logprobs": [{"token", "id", "logprob", "bytes"}, ...]}, ...]}</c>, one entry per new id. A token's text is
/// its id decoded alone, special tokens included (part of a character reads U+FFFD), <c>bytes</c> its raw bytes, and
/// <c>id</c> (beyond OpenAI's fields) the token id; −∞ is written as −9999 (JSON has no infinity; vLLM's value).
/// </summary>
internal static class GenerationLogProbsJson
{
    private const float Floor = -9999f;

    /// <summary>Writes the <c>logprobs</c> property of a row whose entries are <paramref name="entries"/>.</summary>
    public static void Write(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs> entries, Tokenizer tokenizer)
    {
        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        foreach (var entry in entries)
        {
            w.WriteStartObject();
            Token(w, entry.Chosen, tokenizer);
            w.WriteStartArray("top_logprobs");
            foreach (var alternative in entry.Top)
            {
                w.WriteStartObject();
                Token(w, alternative, tokenizer);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A log-probability JSON can hold: NaN and −∞ (and anything below) as −9999.</summary>
    public static float Finite(float logProb) => float.IsNaN(logProb) ? Floor : Math.Max(logProb, Floor);

    private static void Token(Utf8JsonWriter w, TokenLogProb token, Tokenizer tokenizer)
    {
        w.WriteString("token", tokenizer.Decode([token.Id], skipSpecialTokens: false));
        w.WriteNumber("id", token.Id);
        w.WriteNumber("logprob", Finite(token.LogProb));
        w.WriteStartArray("bytes");
        foreach (byte b in tokenizer.TokenBytes(token.Id) ?? []) w.WriteNumberValue(b);
        w.WriteEndArray();
    }
}
