using Microsoft.Extensions.AI;

namespace Skald.Models.Generation;

/// <summary>
/// The pieces a <see cref="SkaldChatClient"/> answers with: tokens named for log-probabilities, its services, streamed
/// updates, a named function's call and the constraint on its arguments, a response format's schema, finish reasons,
/// usage and ids.
/// </summary>
public sealed partial class SkaldChatClient
{
    /// <summary>
    /// The text of token <paramref name="id"/> alone, special tokens included (a token that is part of a character's
    /// UTF-8 bytes decodes to U+FFFD, as vLLM reports it): the <c>token</c> of a log-probability entry.
    /// </summary>
    public string TokenText(int id) => Generator.Tokenizer.Decode([id], skipSpecialTokens: false);

    /// <summary>
    /// The raw bytes of token <paramref name="id"/> (<see cref="Skald.Tokenizers.Tokenizer.TokenBytes(int)"/>: those of part of a
    /// character included, where <see cref="TokenText"/> reads U+FFFD; none for an id the tokenizer does not know, such
    /// as a padded vocabulary's): the <c>bytes</c> of a log-probability entry.
    /// </summary>
    public byte[] TokenBytes(int id) => Generator.Tokenizer.TokenBytes(id) ?? [];

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(Generator)) return Generator;
        return null;
    }

    private ChatResponseUpdate Update(string id, DateTimeOffset created, string? text, IReadOnlyList<TokenLogProbs>? logProbs = null) =>
        new(ChatRole.Assistant, text)
        {
            ResponseId = id,
            MessageId = id,
            ModelId = ModelId,
            CreatedAt = created,
            AdditionalProperties = logProbs is { Count: > 0 } ? new() { [LogProbsProperty] = logProbs } : null,
        };

    // A named function's answer: its arguments' object as the call (finish "stop", as OpenAI's), or cut short, the text.
    private List<AIContent> ForcedCall(string function, string? id, GenerationResult result)
    {
        if (result.FinishReason != FinishReason.Length && HermesToolCallParser.Arguments(result.Text) is { } arguments)
            return ChatToolTurns.Contents(null, [new ChatToolCall(id ?? ToolCallParsers.NewId(ToolCallFormat), function, arguments)]);
        return ChatToolTurns.Contents(Tags.Hide(result.Text), []);
    }

    private static ChatFinishReason Reason(FinishReason reason) =>
        reason == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(GenerationResult r) => new()
    {
        InputTokenCount = r.PromptTokens,
        OutputTokenCount = r.Ids.Length,
        TotalTokenCount = r.PromptTokens + r.Ids.Length,
    };

    private static string NewId(string prefix) => prefix + Guid.NewGuid().ToString("N");

    // The compiled schema of a JSON schema response format (null for any other).
    private static JsonSchemaGrammar? Schema(ChatResponseFormat? format)
    {
        if (format is not ChatResponseFormatJson { Schema: { } schema }) return null;
        try
        {
            return JsonSchemaGrammar.Compile(schema);
        }
        catch (JsonSchemaException e)
        {
            throw new ChatOptionException(e.Message, "response_format");
        }
    }
}
