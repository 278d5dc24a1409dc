using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Writes token log-probabilities (<see cref="TokenLogProbs"/>, taken from the AdditionalProperties of a
/// <see cref="SkaldChatClient"/> answer under <see cref="SkaldChatClient.LogProbsProperty"/>) in OpenAI's shapes: a
/// chat choice's <c>logprobs: {content: [{token, logprob, bytes, top_logprobs: [...]}], refusal: null}</c>, and a legacy
/// completion choice's <c>logprobs: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}</c>. A
/// token's text is <see cref="SkaldChatClient.TokenText"/>, its <c>bytes</c> <see cref="SkaldChatClient.TokenBytes"/> (its
/// raw bytes, part of a character's included); −∞ is written as −9999 (JSON has no infinity; vLLM's value). A chat
/// choice's <c>content</c> is written by <see cref="TokenLogProbsJson"/>, as <c>skald generate</c> writes its rows'.
/// </summary>
internal static class LogProbsJson
{
    /// <summary>Whether <paramref name="options"/> ask for log-probabilities (<see cref="SkaldChatClient.LogProbsProperty"/>).</summary>
    public static bool Asked(ChatOptions options) =>
        options.AdditionalProperties?.ContainsKey(SkaldChatClient.LogProbsProperty) == true;

    /// <summary>The entries an answer or update carries, or null.</summary>
    public static IReadOnlyList<TokenLogProbs>? Of(AdditionalPropertiesDictionary? properties) =>
        properties?.TryGetValue(SkaldChatClient.LogProbsProperty, out var value) == true ? value as IReadOnlyList<TokenLogProbs> : null;

    /// <summary>
    /// A chat choice's <c>logprobs</c>: null when none were asked for (no <paramref name="tokens"/>), else the object, with
    /// an empty <c>content</c> for a chunk whose text ends no token yet.
    /// </summary>
    public static void Chat(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs>? entries, SkaldChatClient? tokens)
    {
        if (tokens is null)
        {
            w.WriteNull("logprobs");
            return;
        }
        w.WriteStartObject("logprobs");
        TokenLogProbsJson.Content(w, entries ?? [], tokens.Generator.Tokenizer, ids: false);
        w.WriteNull("refusal");
        w.WriteEndObject();
    }

    /// <summary>
    /// A legacy completion choice's <c>logprobs</c> (null when none were asked for, no <paramref name="tokens"/>; empty
    /// lists for an event whose text ends no token yet): each token's
    /// <c>top_logprobs</c> lists the asked-for most likely tokens and the chosen one (so up to N + 1, as OpenAI's);
    /// <c>text_offset</c> is the character of the choice's text that holds the token's first raw byte (code points, as
    /// Python's len, from 0), counted by <paramref name="offsets"/>, which goes on from the choice's earlier tokens (a
    /// stream's earlier events).
    /// </summary>
    public static void Completion(Utf8JsonWriter w, IReadOnlyList<TokenLogProbs>? entries, SkaldChatClient? tokens, TextOffsets offsets)
    {
        if (tokens is null)
        {
            w.WriteNull("logprobs");
            return;
        }
        entries ??= [];
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var entry in entries) w.WriteStringValue(tokens.TokenText(entry.Chosen.Id));
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var entry in entries) w.WriteNumberValue(TokenLogProbsJson.Finite(entry.Chosen.LogProb));
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            // two ids whose text is the same (e.g. two halves of characters, both U+FFFD) are one key: the likelier one's
            written.Clear();
            w.WriteStartObject();
            foreach (var alternative in entry.Top.Append(entry.Chosen))
            {
                string token = tokens.TokenText(alternative.Id);
                if (written.Add(token)) w.WriteNumber(token, TokenLogProbsJson.Finite(alternative.LogProb));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        foreach (var entry in entries) w.WriteNumberValue(offsets.Next(tokens.TokenBytes(entry.Chosen.Id)));
        w.WriteEndArray();
        w.WriteEndObject();
    }

}
