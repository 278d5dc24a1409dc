using System.Text.Json;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// Microsoft.Extensions.AI's <c>GetResponseAsync&lt;T&gt;</c> on <see cref="SkaldChatClient"/> with a C# record (a
/// nullable enum, a list, a DateTime whose schema says <c>format: date-time</c>): the schema it sends compiles, and every
/// answer that stops deserializes into the record, whose fields are those of the JSON text read on its own.
/// </summary>
public sealed class JsonSchemaTypedResponseTests
{
    // a template of the bare text, so that the 128-token context leaves room for the answer
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2", "{% for m in messages %}{{ m.content }}{% endfor %}");

    private static readonly ChatMessage[] Messages = [new(ChatRole.User, "JSON?")];

    public enum Verdict
    {
        Y,
        N,
    }

    private sealed record Answer(bool O, Verdict V, Verdict? S, List<bool> F); // short names: the fixture's context is 128 tokens

    private sealed record Dated(DateTime When);

    [Fact]
    public async Task GetResponseAsyncOfARecordDeserializesEveryAnswerThatStops()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        int read = 0;
        for (long seed = 1; seed <= 8; seed++)
        {
            var response = await client.GetResponseAsync<Answer>(Messages, new ChatOptions { Temperature = 0.9f, Seed = seed, MaxOutputTokens = 110 });
            if (response.FinishReason == ChatFinishReason.Length) continue;
            Assert.True(response.TryGetResult(out var answer), $"seed {seed}: \"{response.Text}\" did not deserialize");
            using var text = JsonDocument.Parse(response.Text);
            var root = text.RootElement;
            Assert.Equal(root.GetProperty("o").GetBoolean(), answer!.O);
            Assert.Equal(root.GetProperty("v").GetString(), answer.V.ToString());
            Assert.Equal(root.GetProperty("s").ValueKind == JsonValueKind.Null ? null : root.GetProperty("s").GetString(), answer.S?.ToString());
            Assert.Equal(root.GetProperty("f").EnumerateArray().Select(f => f.GetBoolean()), answer.F);
            read++;
        }
        Assert.True(read >= 2, $"only {read} of 8 answers stopped");
    }

    [Fact]
    public async Task ARecordWithADateTimeIsTakenItsFormatUnchecked()
    {
        using var client = new SkaldChatClient(TextGenerator.Load(Folder));
        var response = await client.GetResponseAsync<Dated>(Messages, new ChatOptions { Temperature = 0f, Seed = 1, MaxOutputTokens = 16 });
        Assert.StartsWith("{", response.Text, StringComparison.Ordinal);
    }
}
