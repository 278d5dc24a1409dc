using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>response_format: {"type": "json_schema"}</c> on <c>POST /v1/chat/completions</c> with the random-weight Qwen2
/// fixture: through the official OpenAI .NET SDK, whole and streamed, over several seeds and temperatures, an answer that
/// stops validates against the schema (<see cref="SchemaValidator"/>) and one cut at max_tokens is a prefix of an
/// object; the raw stream's deltas join to such a document; a schema with an unsupported keyword, or a malformed
/// json_schema object, is a 400 naming response_format whose message names the keyword and its pointer, and the
/// server answers the next request.
/// </summary>
public sealed class JsonSchemaEndpointTests : LiveChatServerTests
{
    private const string Schema = """
        {"type": "object", "properties": {"ok": {"type": "boolean"}, "tag": {"enum": ["a", "b"]}, "n": {"type": "integer"}}, "required": ["ok"],
         "additionalProperties": false}
        """;

    private static ChatMessage[] Conversation() => [new UserChatMessage("JSON?")];

#pragma warning disable OPENAI001 // the SDK marks seed experimental; the server takes it, and the runs must repeat
    private static ChatCompletionOptions Structured(float temperature, long seed) => new()
    {
        ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("flags", BinaryData.FromString(Schema), jsonSchemaIsStrict: true),
        Temperature = temperature, Seed = seed, MaxOutputTokenCount = 50,
    };
#pragma warning restore OPENAI001

    private static bool AssertValid(string text, ChatFinishReason? reason, string what)
    {
        if (reason == ChatFinishReason.Length)
        {
            Assert.True(JsonPrefix.CanBecomeObject(text), $"{what}: \"{text}\" cut at max_tokens is not a prefix of an object");
            return false;
        }
        Assert.Equal(ChatFinishReason.Stop, reason);
        Assert.True(JsonPrefix.IsObject(text), $"{what}: \"{text}\" is not a JSON object");
        Assert.Null(SchemaValidator.Problem(Schema, text));
        return true;
    }

    [Fact]
    public async Task TheSdksAnswersValidateWholeAndStreamed()
    {
        int closed = 0;
        foreach (float temperature in new[] { 0f, 1f })
        {
            for (long seed = 1; seed <= 3; seed++)
            {
                var whole = (await Sdk().CompleteChatAsync(Conversation(), Structured(temperature, seed))).Value;
                if (AssertValid(whole.Content[0].Text, whole.FinishReason, $"t={temperature} seed {seed}")) closed++;
                var text = new StringBuilder();
                ChatFinishReason? reason = null;
                await foreach (var u in Sdk().CompleteChatStreamingAsync(Conversation(), Structured(temperature, seed)))
                {
                    foreach (var part in u.ContentUpdate) text.Append(part.Text);
                    reason ??= u.FinishReason;
                }
                Assert.Equal(whole.Content[0].Text, text.ToString());
                Assert.Equal(whole.FinishReason, reason);
            }
        }
        Assert.True(closed >= 2, $"{closed} of 6 answers closed their object");
    }

    [Fact]
    public async Task TheRawStreamsDeltasJoinToAValidDocument()
    {
        int closed = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            string body = $$$"""
                {"messages": [{"role": "user", "content": "JSON?"}], "max_tokens": 50, "temperature": 1, "seed": {{{seed}}}, "stream": true,
                 "response_format": {"type": "json_schema", "json_schema": {"name": "flags", "strict": true, "schema": {{{Schema}}} } }}
                """;
            using var response = await Http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)response.StatusCode);
            var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("data: [DONE]", events[^1]);
            var text = new StringBuilder();
            string? reason = null;
            foreach (var e in events[..^1])
            {
                var choice = JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0];
                if (choice.GetProperty("delta").TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) text.Append(c.GetString());
                if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String) reason = choice.GetProperty("finish_reason").GetString();
            }
            if (AssertValid(text.ToString(), reason == "length" ? ChatFinishReason.Length : reason == "stop" ? ChatFinishReason.Stop : null, $"raw stream, seed {seed}"))
                closed++;
        }
        Assert.True(closed >= 1, "no streamed answer closed its object");
    }

    [Theory]
    [InlineData("""{"type": "object", "properties": {"name": {"type": "string", "pattern": "^[A-Z]"}}}""", "\"pattern\" at /properties/name/pattern", false)]
    [InlineData("""{"type": "object", "oneOf": [{"type": "object"}]}""", "\"oneOf\" at /oneOf", true)]
    [InlineData("""{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": "yes"}""", "\"additionalProperties\" at /additionalProperties", false)]
    [InlineData("""{"type": "object", "properties": {"p": {"$ref": "#/$defs/nowhere"}}}""", "\"$ref\" at /properties/p/$ref", true)]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "integer", "multipleOf": -2.5}}}""", "\"multipleOf\" at /properties/n/multipleOf", false)]
    [InlineData("""{"type": "object", "properties": {"n": {"type": "number", "minimum": 1, "maximum": 0}}}""", "\"minimum\" at /properties/n/minimum", true)]
    public async Task AnUnsupportedKeywordIsA400NamingItAndItsPointer(string schema, string named, bool stream)
    {
        string body = $$$"""
            {"messages": [{"role": "user", "content": "x"}], "max_tokens": 5, "stream": {{{(stream ? "true" : "false")}}},
             "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {{{schema}}} } }}
            """;
        var (status, text) = await Post(body);
        Assert.Equal(400, status);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("response_format", error.GetProperty("param").GetString());
        Assert.Contains(named, error.GetProperty("message").GetString());
        var next = (await Sdk().CompleteChatAsync(Conversation(), Structured(0f, 1))).Value; // the server goes on
        Assert.Contains(next.FinishReason, new[] { ChatFinishReason.Stop, ChatFinishReason.Length });
    }

    [Theory]
    [InlineData("""{"type": "json_schema"}""", "response_format.json_schema")]
    [InlineData("""{"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}""", "response_format.json_schema.name")]
    [InlineData("""{"type": "json_schema", "json_schema": {"name": "has space", "schema": {"type": "object"}}}""", "response_format.json_schema.name")]
    [InlineData("""{"type": "json_schema", "json_schema": {"name": "s", "strict": "yes", "schema": {"type": "object"}}}""", "response_format.json_schema.strict")]
    [InlineData("""{"type": "json_schema", "json_schema": {"name": "s", "schema": [1]}}""", "response_format.json_schema.schema")]
    [InlineData("""{"type": "json_schema", "json_schema": {"name": "s", "schema": true}}""", "response_format.json_schema.schema")]
    public async Task AMalformedJsonSchemaObjectIsA400NamingResponseFormat(string format, string named)
    {
        var (status, text) = await Post($$$"""{"messages": [{"role": "user", "content": "x"}], "response_format": {{{format}}}}""");
        Assert.Equal(400, status);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal("response_format", error.GetProperty("param").GetString());
        Assert.Contains(named, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AJsonSchemaWithoutASchemaIsJsonMode()
    {
        var (status, text) = await Post("""
            {"messages": [{"role": "user", "content": "x"}], "max_tokens": 40, "temperature": 0,
             "response_format": {"type": "json_schema", "json_schema": {"name": "anything"}}}
            """);
        Assert.Equal(200, status);
        var choice = JsonDocument.Parse(text).RootElement.GetProperty("choices")[0];
        string content = choice.GetProperty("message").GetProperty("content").GetString()!;
        Assert.True(choice.GetProperty("finish_reason").GetString() == "length" ? JsonPrefix.CanBecomeObject(content) : JsonPrefix.IsObject(content), content);
    }

    private async Task<(int Status, string Body)> Post(string body)
    {
        using var response = await Http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
