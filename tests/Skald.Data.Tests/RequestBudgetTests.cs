using Skald.Data.Llm;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>
/// <c>--max-requests</c> is exact: workers racing for the last requests of the budget send exactly the budget, never a
/// few more (the count was read, then raised, so every worker between the two got through), and a reservation given
/// back can be taken again.
/// </summary>
public sealed class RequestBudgetTests
{
    [Fact]
    public void WorkersRacingForTheBudgetTakeExactlyIt()
    {
        // More threads than cores start each round together and take from the budget until it says no. A thread the
        // scheduler stops between a check-then-increment budget's check and its increment (about half its loop) while
        // the others take the rest adds one more on waking: it happened in some rounds of every run (8 runs of 8).
        const int Rounds = 1000, Limit = 100_000;
        int threads = Math.Min(2 * Environment.ProcessorCount + 2, 10);
        var budgets = Enumerable.Range(0, Rounds).Select(_ => new RequestBudget(Limit)).ToArray();
        var won = new int[Rounds];
        var arrived = new int[Rounds];
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                Interlocked.Increment(ref arrived[round]);
                var spin = new SpinWait();
                while (Volatile.Read(ref arrived[round]) < threads) spin.SpinOnce(sleep1Threshold: -1);
                int mine = 0;
                while (budgets[round].TryReserve()) mine++;
                Interlocked.Add(ref won[round], mine);
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        Assert.Equal(Enumerable.Repeat(Limit, Rounds), won);
        Assert.All(budgets, b => Assert.Equal(Limit, b.Taken));
    }

    [Fact]
    public void AReservationGivenBackCanBeTakenAgain()
    {
        var budget = new RequestBudget(2);
        Assert.True(budget.TryReserve());
        Assert.True(budget.TryReserve());
        Assert.False(budget.TryReserve());
        Assert.Equal(2, budget.Taken);
        budget.Release(); // its request was never sent
        Assert.Equal(1, budget.Taken);
        Assert.True(budget.TryReserve());
        Assert.False(budget.TryReserve());
        Assert.Equal(2, budget.Taken);
    }

    [Fact]
    public void WithoutALimitEveryRequestIsCounted()
    {
        var budget = new RequestBudget(null);
        for (int i = 0; i < 5; i++) Assert.True(budget.TryReserve());
        Assert.Equal(5, budget.Taken);
    }

    [Fact]
    public async Task SixtyFourWorkersSendExactlyTheBudgetAndKeepEveryReply()
    {
        // 64 requests in flight at once, each text failing once first (a 500, retried): the server sees exactly the
        // budget, retries included, and every good reply among them is journaled.
        const int Budget = 37;
        using var server = new FakeChatServer((_, n) => n == 1 ? Reply.ServerError : Reply.Good, replyDelayMs: 50, answer: t => t.ToUpperInvariant());
        var settings = new LlmSettings
        {
            Endpoint = new Uri(server.Url), Model = "fake", Concurrency = 64, MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(1),
            Timeout = TimeSpan.FromSeconds(60), RequestBudget = Budget,
        };
        string journal = Path.Combine(TestPaths.NewTempDir(), "t.jsonl");
        string[] texts = [.. Enumerable.Range(0, 300).Select(i => $"Setning nummer {i} om fjorden.")];
        var e = await Assert.ThrowsAsync<DataException>(() => LlmTranslator.TranslateAsync(texts, "nb", "nn", settings, journal));
        Assert.StartsWith($"request budget of {Budget} reached", e.Message);
        Assert.Equal(Budget, server.Requests.Count);
        // a text answered was asked twice (its 500, then the good reply); the journal holds exactly those
        int answered = server.Requests.GroupBy(t => t).Count(g => g.Count() == 2);
        Assert.Equal(answered, File.ReadAllLines(journal).Length);
    }
}
