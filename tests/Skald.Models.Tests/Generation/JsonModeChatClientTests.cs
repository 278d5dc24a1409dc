using System.Text;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient"/> with <see cref="ChatResponseFormat.Json"/>: on the random-weight Qwen2 fixture, whose
/// free answers are garbage, every answer (several seeds and temperatures, whole and streamed) is a JSON object that
/// System.Text.Json parses, or a prefix of one with finish reason length (a JSON schema: <see cref="JsonSchemaChatClientTests"/>).
/// </summary>
public sealed class JsonModeChatClientTests
{
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2");

    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "JSON?")];

    // no max tokens: what the fixture's context of 128 leaves after the templated prompt
    private static ChatOptions Json(float temperature, long seed) =>
        new() { ResponseFormat = ChatResponseFormat.Json, Temperature = temperature, Seed = seed };

    private static void AssertJson(string text, ChatFinishReason? reason, string what)
    {
        if (reason == ChatFinishReason.Length) Assert.True(JsonPrefix.CanBecomeObject(text), $"{what}: \"{text}\" cut at the length is not a prefix of an object");
        else
        {
            Assert.Equal(ChatFinishReason.Stop, reason);
            Assert.True(JsonPrefix.IsObject(text), $"{what}: \"{text}\" is not a JSON object");
        }
    }

    [Fact]
    public async Task EveryAnswerIsAJsonObjectOrAPrefixCutAtTheLength()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var free = await client.GetResponseAsync(Messages, new ChatOptions { Temperature = 0 });
        Assert.False(JsonPrefix.CanBecomeObject(free.Text), free.Text);
        int closed = 0;
        foreach (float temperature in new[] { 0f, 0.8f, 1.2f })
        {
            for (long seed = 1; seed <= 5; seed++)
            {
                var answer = await client.GetResponseAsync(Messages, Json(temperature, seed));
                AssertJson(answer.Text, answer.FinishReason, $"t={temperature} seed {seed}");
                if (answer.FinishReason == ChatFinishReason.Stop) closed++;
            }
        }
        Assert.True(closed >= 2, $"{closed} of 15 answers closed their object");
    }

    [Fact]
    public async Task AStreamedAnswerIsTheSameJson()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        int closed = 0;
        for (long seed = 1; seed <= 6; seed++)
        {
            var whole = await client.GetResponseAsync(Messages, Json(1f, seed));
            var text = new StringBuilder();
            ChatFinishReason? reason = null;
            await foreach (var update in client.GetStreamingResponseAsync(Messages, Json(1f, seed)))
            {
                text.Append(update.Text);
                reason ??= update.FinishReason;
            }
            Assert.Equal(whole.Text, text.ToString());
            Assert.Equal(whole.FinishReason, reason);
            AssertJson(text.ToString(), reason, $"streamed, seed {seed}");
            if (reason == ChatFinishReason.Stop) closed++;
        }
        Assert.True(closed >= 1, "no streamed answer closed its object");
    }
}
