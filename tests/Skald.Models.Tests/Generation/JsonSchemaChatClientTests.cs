using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/> with <see cref="ChatResponseFormat.ForJsonSchema(JsonElement, string?, string?)"/>: on
/// the random-weight Qwen2 fixture every answer (several seeds and temperatures, whole and streamed, the stream joining
/// to the whole answer) that stops validates against the schema (<see cref="SchemaValidator"/>), one cut by the length
/// is a prefix of an object; a schema it cannot compile is a <see cref="ChatOptionException"/> naming response_format,
/// whose message names the keyword and its pointer.
/// </summary>
public sealed class JsonSchemaChatClientTests
{
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2");

    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "JSON?")];

    private const string Schema = """
        {"type": "object", "properties": {"ok": {"type": "boolean"}, "tag": {"enum": ["a", "b"]}, "n": {"type": "integer"}}, "required": ["ok"],
         "additionalProperties": false}
        """;

    private static ChatOptions Options(float temperature, long seed, string schema = Schema) => new()
    {
        ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(schema).RootElement, "flags"), Temperature = temperature, Seed = seed,
    };

    /// <summary>
    /// pydantic 2's schema of a model with a dict[str, int] and an Optional union of two models (Pet | Dog | None), one
    /// holding a dict[str, Any] (short names: the random model pads).
    /// </summary>
    private const string Dictionaries = """
        {"$defs": {"Pet": {"properties": {"n": {"title": "N", "type": "string", "maxLength": 4}, "x": {"additionalProperties": true, "title": "X", "type": "object"}},
          "required": ["n"], "title": "Pet", "type": "object"},
          "Dog": {"properties": {"n": {"title": "N", "type": "string", "maxLength": 2}, "b": {"title": "B", "type": "integer"}}, "required": ["n"], "title": "Dog", "type": "object"}},
         "properties": {"c": {"additionalProperties": {"type": "integer"}, "title": "C", "type": "object"},
          "p": {"anyOf": [{"$ref": "#/$defs/Pet"}, {"$ref": "#/$defs/Dog"}, {"type": "null"}]}},
         "required": ["c", "p"], "title": "Record", "type": "object"}
        """;

    private static bool AssertValid(string text, ChatFinishReason? reason, string what, string schema = Schema)
    {
        if (reason == ChatFinishReason.Length)
        {
            Assert.True(JsonPrefix.CanBecomeObject(text), $"{what}: \"{text}\" cut at the length is not a prefix of an object");
            return false;
        }
        Assert.Equal(ChatFinishReason.Stop, reason);
        Assert.True(JsonPrefix.IsObject(text), $"{what}: \"{text}\" is not a JSON object");
        Assert.Null(SchemaValidator.Problem(schema, text));
        return true;
    }

    [Fact]
    public async Task EveryAnswerValidatesWholeAndStreamed()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        int closed = 0;
        foreach (float temperature in new[] { 0f, 0.8f, 1.2f })
        {
            for (long seed = 1; seed <= 3; seed++)
            {
                var whole = await client.GetResponseAsync(Messages, Options(temperature, seed));
                if (AssertValid(whole.Text, whole.FinishReason, $"t={temperature} seed {seed}")) closed++;
                var text = new StringBuilder();
                ChatFinishReason? reason = null;
                await foreach (var update in client.GetStreamingResponseAsync(Messages, Options(temperature, seed)))
                {
                    text.Append(update.Text);
                    reason ??= update.FinishReason;
                }
                Assert.Equal(whole.Text, text.ToString());
                Assert.Equal(whole.FinishReason, reason);
            }
        }
        Assert.True(closed >= 3, $"{closed} of 9 answers closed their object");
    }

    [Fact]
    public async Task AnswersToASchemaWithDictionariesAndAUnionOfModelsValidate()
    {
        // the random model pads with whitespace: room for longer answers than the fixture's 128 positions hold
        using var client = new SkaldChatClient(TextGenerator.Load(ChatModelFolder.Roomy(ChatModelFolder.Create("decoder-qwen2"), 512)));
        int closed = 0, keyed = 0;
        foreach (float temperature in new[] { 0f, 1.5f })
        {
            for (long seed = 1; seed <= 8; seed++)
            {
                var options = Options(temperature, seed, Dictionaries);
                options.MaxOutputTokens = 400;
                var answer = await client.GetResponseAsync(Messages, options);
                if (!AssertValid(answer.Text, answer.FinishReason, $"t={temperature} seed {seed}", Dictionaries)) continue;
                closed++;
                using var document = JsonDocument.Parse(answer.Text);
                if (document.RootElement.GetProperty("c").EnumerateObject().Any()) keyed++;
            }
        }
        Assert.True(closed >= 8, $"{closed} of 16 answers closed their object");
        Assert.True(keyed >= 1, "no closed answer wrote a key into the dictionary");
    }

    [Fact]
    public async Task ASchemaItCannotCompileIsRefusedNamingTheKeyword()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        const string bad = """{"type": "object", "properties": {"when": {"type": "string", "pattern": "^[0-9]+$"}}}""";
        var e = await Assert.ThrowsAsync<ChatOptionException>(() => client.GetResponseAsync(Messages, Options(0f, 1, bad)));
        Assert.Equal("response_format", e.Field);
        Assert.Contains("\"pattern\" at /properties/when/pattern", e.Message);
        var streamed = await Assert.ThrowsAsync<ChatOptionException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Messages, Options(0f, 1, bad))) { }
        });
        Assert.Equal("response_format", streamed.Field);
    }
}
