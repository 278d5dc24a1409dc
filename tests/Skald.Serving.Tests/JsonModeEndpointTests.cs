using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Skald.Models.Generation;
using static Skald.Serving.Tests.ServerFixture;

namespace Skald.Serving.Tests;

/// <summary>
/// <c>response_format: {"type": "json_object"}</c> on <c>POST /v1/chat/completions</c> with the random-weight Qwen2
/// fixture (its free answers are garbage): through the official OpenAI .NET SDK, whole and streamed, over several seeds
/// and temperatures, each answer's content parses with System.Text.Json as an object (finish reason stop), or is a
/// prefix of one cut at max_tokens (finish reason length); the raw stream's deltas join to the same JSON.
/// </summary>
public sealed class JsonModeEndpointTests : LiveChatServerTests
{

    private static ChatMessage[] Conversation() => [new UserChatMessage("JSON?")];

#pragma warning disable OPENAI001 // the SDK marks seed experimental; the server takes it, and the runs must repeat
    private static ChatCompletionOptions JsonMode(float temperature, long seed) => new()
    {
        ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), Temperature = temperature, Seed = seed, MaxOutputTokenCount = 50,
    };
#pragma warning restore OPENAI001

    private static void AssertJson(string text, ChatFinishReason? reason, string what)
    {
        if (reason == ChatFinishReason.Length) Assert.True(JsonPrefix.CanBecomeObject(text), $"{what}: \"{text}\" cut at max_tokens is not a prefix of an object");
        else
        {
            Assert.Equal(ChatFinishReason.Stop, reason);
            Assert.True(JsonPrefix.IsObject(text), $"{what}: \"{text}\" is not a JSON object");
        }
    }

    [Fact]
    public async Task TheSdksAnswersAreJsonObjectsWholeAndStreamed()
    {
        var free = (await Sdk().CompleteChatAsync(Conversation(), new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 30 })).Value;
        Assert.False(JsonPrefix.CanBecomeObject(free.Content[0].Text), free.Content[0].Text);
        int closed = 0;
        foreach (float temperature in new[] { 0f, 1f })
        {
            for (long seed = 1; seed <= 4; seed++)
            {
                var whole = (await Sdk().CompleteChatAsync(Conversation(), JsonMode(temperature, seed))).Value;
                AssertJson(whole.Content[0].Text, whole.FinishReason, $"t={temperature} seed {seed}");
                var text = new StringBuilder();
                ChatFinishReason? reason = null;
                await foreach (var u in Sdk().CompleteChatStreamingAsync(Conversation(), JsonMode(temperature, seed)))
                {
                    foreach (var part in u.ContentUpdate) text.Append(part.Text);
                    reason ??= u.FinishReason;
                }
                Assert.Equal(whole.Content[0].Text, text.ToString());
                Assert.Equal(whole.FinishReason, reason);
                if (reason == ChatFinishReason.Stop) closed++;
            }
        }
        Assert.True(closed >= 2, $"{closed} of 8 answers closed their object");
    }

    [Fact]
    public async Task TheRawStreamsDeltasJoinToTheObject()
    {
        int closed = 0;
        for (int seed = 1; seed <= 4; seed++)
        {
            string body = Json(new
            {
                messages = new[] { new { role = "user", content = "JSON?" } }, max_tokens = 50, temperature = 1, seed, stream = true,
                response_format = new { type = "json_object" },
            });
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
            AssertJson(text.ToString(), reason == "length" ? ChatFinishReason.Length : reason == "stop" ? ChatFinishReason.Stop : null, $"raw stream, seed {seed}");
            if (reason == "stop") closed++;
        }
        Assert.True(closed >= 1, "no streamed answer closed its object");
    }
}
