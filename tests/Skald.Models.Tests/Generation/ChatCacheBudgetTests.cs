using Microsoft.Extensions.AI;
using Skald.Models.Generation;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="SkaldChatClient.MaxBatchTokens"/> bounds a batch's KV cache and the cache its joining prompts are
/// prefilled in together: three requests arriving while a long one decodes all join its batch, with their solo answers,
/// and the caches never hold more positions than the budget (they held the batch's whole budget and the joining
/// prompts' rows beside it), and a single request beyond the budget, which runs alone, does not keep its cache once
/// answered. The decoding thread is held at its first offer of a free row until they are queued; the bytes per position
/// come from the fixture's config.json.
/// </summary>
public sealed class ChatCacheBudgetTests
{
    private static readonly string Folder = ChatModelFolder.Create("decoder-qwen2");
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const int LongAnswer = 30;

    private static ChatMessage[] Messages() => [new(ChatRole.System, "Svara kort."), new(ChatRole.User, "Sveriges huvudstad?")];

    private static ChatOptions Greedy(int max) => new() { Temperature = 0, MaxOutputTokens = max };

    [Fact]
    public async Task PromptsJoiningAtOnceKeepBothCachesWithinTheBudget()
    {
        ChatResponse expected;
        using (var solo = new SkaldChatClient(TextGenerator.Load(Folder)) { MaxBatchSize = 1 })
            expected = await solo.GetResponseAsync(Messages(), Greedy(2));
        int prompt = (int)expected.Usage!.InputTokenCount!.Value;
        Assert.True(3 * prompt > prompt + LongAnswer, "three prompts prefilled at once need more than a batch row");
        int budget = 5 * (prompt + LongAnswer); // 4 rows of the long request's need, and one row's worth for the prefill
        using var go = new ManualResetEventSlim();
        using var offered = new SemaphoreSlim(0);
        long peak = 0;
        SkaldChatClient? client = null;
        client = new SkaldChatClient(TextGenerator.Load(Folder))
        {
            MaxBatchSize = 4,
            MaxBatchTokens = budget,
            PrefillChunk = 0,
            OfferingRow = () =>
            {
                peak = Math.Max(peak, client!.Generator.CacheBytes);
                if (go.IsSet) return;
                offered.Release();
                go.Wait(Patience);
            },
        };
        using (client)
        {
            var first = client.GetResponseAsync(Messages(), Greedy(LongAnswer));
            Assert.True(await offered.WaitAsync(Patience), "the first request's batch never offered a free row");
            var joins = Enumerable.Range(0, 3).Select(_ => client.GetResponseAsync(Messages(), Greedy(2))).ToArray();
            go.Set();
            var answers = await Task.WhenAll(joins).WaitAsync(Patience);
            await first.WaitAsync(Patience);
            peak = Math.Max(peak, client.Generator.CacheBytes);
            Assert.Equal(3, client.JoinedRequests);
            Assert.All(answers, a => Assert.Equal(expected.Text, a.Text));
            long most = budget * JoinCacheBudgetTests.BytesPerPosition(Folder);
            Assert.True(peak <= most, $"the caches held {peak} bytes, the budget is {most}");
        }
    }

    [Fact]
    public async Task ARequestBeyondTheBudgetLetsItsCacheGoOnceAnswered()
    {
        const int budget = 60, max = 40;
        using var client = new SkaldChatClient(TextGenerator.Load(Folder)) { MaxBatchSize = 2, MaxBatchTokens = budget };
        var answer = await client.GetResponseAsync(Messages(), Greedy(max)).WaitAsync(Patience);
        Assert.True(answer.Usage!.InputTokenCount + max > budget, "the request's prompt and new tokens are beyond the budget");
        long most = budget * JoinCacheBudgetTests.BytesPerPosition(Folder);
        // answered as its row finishes: the cache goes when the decoding call returns, just after
        Assert.True(SpinWait.SpinUntil(() => client.Generator.CacheBytes <= most, Patience),
            $"the caches kept {client.Generator.CacheBytes} bytes once it was answered, the budget is {most}");
    }
}
