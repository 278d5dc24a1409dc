using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A batch of rows with their own options, as a server decodes concurrent requests: each row is reported done the step
/// it finishes (a short answer does not wait for a long batch mate), a row whose caller left stops at the next step,
/// and a batch never holds more positions than its budget.
/// </summary>
public sealed class GeneratorRowEventsTests
{
    private static readonly int[] PromptA = [5, 9, 12, 3], PromptB = [7, 7, 2, 30, 41, 8];

    [Fact]
    public void EachRowIsReportedDoneTheStepItFinishes()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var events = new List<string>();
        var results = generator.Generate([PromptA, PromptB],
            [new GenerationOptions { MaxNewTokens = 3 }, new GenerationOptions { MaxNewTokens = 12 }], null,
            (b, _) => events.Add($"token {b}"), null, (b, r) => events.Add($"done {b} {r.Ids.Length}"));
        // row 0's third token, then at once its report (before row 1's third token, in that same step), while row 1
        // goes on to its twelfth
        int done0 = events.IndexOf("done 0 3");
        Assert.Equal(3, events.Take(done0).Count(e => e == "token 0"));
        Assert.Equal(2, events.Take(done0).Count(e => e == "token 1"));
        Assert.Equal(10, events.Skip(done0).Count(e => e == "token 1"));
        Assert.Equal("done 1 12", events[^1]);
        Assert.Equal([3, 12], results.Select(r => r.Ids.Length));
        // the same tokens as without the reports
        var plain = generator.Generate([PromptA, PromptB], [new GenerationOptions { MaxNewTokens = 3 }, new GenerationOptions { MaxNewTokens = 12 }]);
        Assert.Equal(plain.Select(r => r.Ids), results.Select(r => r.Ids));
    }

    [Fact]
    public void AnAbandonedRowStopsAtTheNextStepUnreported()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        int tokens0 = 0;
        var done = new List<int>();
        var results = generator.Generate([PromptA, PromptB], [new GenerationOptions { MaxNewTokens = 20 }, new GenerationOptions { MaxNewTokens = 8 }], null,
            (b, _) => tokens0 += b == 0 ? 1 : 0, b => b == 0 && tokens0 >= 4, (b, _) => done.Add(b));
        Assert.Equal(4, results[0].Ids.Length);
        Assert.Equal(8, results[1].Ids.Length);
        Assert.Equal([1], done);
        // every row gone: the batch ends
        int steps = 0;
        generator.Generate([PromptA, PromptB], [new GenerationOptions { MaxNewTokens = 20 }, new GenerationOptions { MaxNewTokens = 20 }], null,
            (_, _) => steps++, _ => steps >= 6);
        Assert.Equal(6, steps);
    }

    [Fact]
    public async Task ABatchHoldsNoMorePositionsThanItsBudget()
    {
        string folder = ChatModelFolder.Create("decoder-qwen2");
        var messages = new[] { new ChatMessage(ChatRole.User, "Hei") };
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 8 };
        int prompt = TextGenerator.Load(folder).Tokenize(GenerationInput.FromMessages([new ChatTurn("user", "Hei")])).Length;
        // room for two rows of (prompt + 8) positions, not three
        using var client = new SkaldChatClient(TextGenerator.Load(folder)) { BatchWait = TimeSpan.FromMilliseconds(200), MaxBatchTokens = 2 * (prompt + 8) + 1 };
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GetResponseAsync(messages, options)));
        Assert.Equal(2, client.LargestBatch);
        Assert.All(answers, a => Assert.Equal(answers[0].Text, a.Text));
    }

    [Fact]
    public async Task AFullQueueRefusesAtOnceAndServesTheRest()
    {
        string folder = ChatModelFolder.Create("decoder-qwen2");
        var messages = new[] { new ChatMessage(ChatRole.User, "Hei") };
        using var client = new SkaldChatClient(TextGenerator.Load(folder)) { BatchWait = TimeSpan.FromMilliseconds(300), MaxQueue = 2 };
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 4 };
        var first = client.GetResponseAsync(messages, options);
        var second = client.GetResponseAsync(messages, options);
        var e = await Assert.ThrowsAsync<GenerationBusyException>(() => client.GetResponseAsync(messages, options));
        Assert.Contains("2 requests are waiting", e.Message);
        Assert.Equal((await first).Text, (await second).Text);
        Assert.Equal(4, (await client.GetResponseAsync(messages, options)).Usage!.OutputTokenCount);
    }
}
