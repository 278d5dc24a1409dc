using System.Text;
using System.Text.Json;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>response_format</c> on <c>POST /v1/completions</c>, as vLLM's completions take it: <c>json_object</c> answers
/// the tokens <see cref="TextGenerator.Generate"/> gives under <see cref="OutputFormat.JsonObject"/> (not the free
/// continuation), a <c>json_schema</c> answer that stops validates against the schema, whole and streamed, and a
/// schema the compiler refuses is a 400 naming response_format; <c>tools</c>, which a text completion has no use for,
/// is a 400 naming tools.
/// </summary>
public sealed class CompletionResponseFormatTests : LiveChatServerTests
{
    private const string Schema = """
        {"type": "object", "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer"}}, "required": ["ok"], "additionalProperties": false}
        """;

    private static readonly TextGenerator Reference = TextGenerator.Load(ChatFolder);
    private static readonly string Prompt = Reference.ChatFormatter!.Format([new ChatTurn("user", "JSON?")]);

    private static string Expected(GenerationOptions options) =>
        Reference.Generate([Reference.Tokenize(GenerationInput.FromPrompt(Prompt))], options)[0].Text;

    private async Task<(int Status, string Body)> Post(string body)
    {
        using var response = await Http.PostAsync("v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task JsonObjectHoldsTheContinuationToAnObject()
    {
        var json = Expected(new GenerationOptions { MaxNewTokens = 30, Format = OutputFormat.JsonObject });
        Assert.NotEqual(Expected(new GenerationOptions { MaxNewTokens = 30 }), json); // the constraint changes this answer
        var (status, text) = await Post(Json(new { prompt = Prompt, max_tokens = 30, temperature = 0, response_format = new { type = "json_object" } }));
        Assert.Equal(200, status);
        var choice = JsonDocument.Parse(text).RootElement.GetProperty("choices")[0];
        Assert.Equal(json, choice.GetProperty("text").GetString());
        Assert.True(choice.GetProperty("finish_reason").GetString() == "length" ? JsonPrefix.CanBecomeObject(json) : JsonPrefix.IsObject(json), json);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AJsonSchemaAnswerValidatesWholeAndStreamed(bool stream)
    {
        int closed = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            string body = $$$"""
                {"prompt": {{{JsonSerializer.Serialize(Prompt)}}}, "max_tokens": 50, "temperature": 1, "seed": {{{seed}}}, "stream": {{{(stream ? "true" : "false")}}},
                 "response_format": {"type": "json_schema", "json_schema": {"name": "flags", "schema": {{{Schema}}} } }}
                """;
            var (status, text) = await Post(body);
            Assert.Equal(200, status);
            var (answer, reason) = stream ? Joined(text) : Whole(text);
            if (reason == "length") Assert.True(JsonPrefix.CanBecomeObject(answer), answer);
            else
            {
                Assert.Equal("stop", reason);
                Assert.Null(SchemaValidator.Problem(Schema, answer));
                closed++;
            }
        }
        Assert.True(closed >= 1, "no answer closed its object");
    }

    private static (string Text, string? Reason) Whole(string body)
    {
        var choice = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0];
        return (choice.GetProperty("text").GetString()!, choice.GetProperty("finish_reason").GetString());
    }

    private static (string Text, string? Reason) Joined(string body)
    {
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var text = new StringBuilder();
        string? reason = null;
        foreach (var e in events[..^1])
        {
            var choice = JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0];
            text.Append(choice.GetProperty("text").GetString());
            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String) reason = choice.GetProperty("finish_reason").GetString();
        }
        return (text.ToString(), reason);
    }

    [Theory]
    [InlineData("""{"prompt": "x", "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object", "oneOf": [{"type": "object"}]}}}}""", "response_format")]
    [InlineData("""{"prompt": ["x", "y"], "stream": true, "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object", "oneOf": [{}]}}}}""", "response_format")]
    [InlineData("""{"prompt": "x", "response_format": {"type": "yaml"}}""", "response_format")]
    [InlineData("""{"prompt": "x", "response_format": {"type": "json_schema"}}""", "response_format")]
    [InlineData("""{"prompt": "x", "tools": [{"type": "function", "function": {"name": "f"}}]}""", "tools")]
    [InlineData("""{"prompt": "x", "stream": true, "tools": [{"type": "function", "function": {"name": "f"}}]}""", "tools")]
    public async Task WhatCannotBeAnsweredIsA400NamingTheField(string body, string param)
    {
        var (status, text) = await Post(body);
        Assert.Equal(400, status);
        Assert.Equal(param, JsonDocument.Parse(text).RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}
