using System.Text.Json;
using Skald.Tokenizers;

namespace Skald.Models.Generation;

/// <summary>
/// Token log-probabilities (<see cref="TokenLogProbs"/>) as JSON in the shape of an OpenAI chat choice's
/// <c>logprobs.content</c>, the one writer <c>skald generate</c> and <c>skald serve</c> share: a token's text is its id
/// decoded alone, special tokens included (part of a character reads U+FFFD), <c>bytes</c> its raw bytes (none for an
/// id the tokenizer does not know); −∞ is written as −9999 (JSON has no infinity; vLLM's value).
/// </summary>
internal static class TokenLogProbsJson
{
    /// <summary>What a log-probability below it (−∞ included) or NaN is written as.</summary>
    public const float Floor = -9999f;

    /// <summary>A log-probability JSON can hold: NaN and −∞ (and anything below) as <see cref="Floor"/>.</summary>
    public static float Finite(float logProb) => float.IsNaN(logProb) ? Floor : Math.Max(logProb, Floor);

    /// <summary>
    /// Writes the property <c>content</c>: <c>[{"token", "logprob", "bytes", "top_logprobs": [{...}, ...]}, ...]</c>, one
    /// entry per token, each with its <c>id</c> after <c>token</c> when <paramref name="ids"/> (beyond OpenAI's fields).
    /// </summary>
    public static void Content(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs> entries, Tokenizer tokenizer, bool ids)
    {
        w.WriteStartArray("content");
        foreach (var entry in entries)
        {
            w.WriteStartObject();
            Token(w, entry.Chosen, tokenizer, ids);
            w.WriteStartArray("top_logprobs");
            foreach (var alternative in entry.Top)
            {
                w.WriteStartObject();
                Token(w, alternative, tokenizer, ids);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Token(Utf8JsonWriter w, TokenLogProb token, Tokenizer tokenizer, bool ids)
    {
        w.WriteString("token", tokenizer.Decode([token.Id], skipSpecialTokens: false));
        if (ids) w.WriteNumber("id", token.Id);
        w.WriteNumber("logprob", Finite(token.LogProb));
        w.WriteStartArray("bytes");
        foreach (byte b in tokenizer.TokenBytes(token.Id) ?? []) w.WriteNumberValue(b);
        w.WriteEndArray();
    }
}
