using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A batch's cache beyond <see cref="ContinuousBatching.CachePositions"/> (a single request beyond a server's budget,
/// which runs alone) is let go when the call ends, and a call does not reuse one kept beyond its budget: kept, it held
/// memory past the budget and, reused, left the joining prompts' prefill cache no room, so a request that fits never
/// joined. The bytes held are the caches the garbage collector finds reachable (<see cref="HeldCaches"/>).
/// </summary>
public sealed class OversizedBatchCacheTests
{
    private const int Budget = 150, HostPrompt = 40;

    private static long Bytes(long positions) => positions * JoinCacheBudgetTests.BytesPerPosition(JoinCacheBudgetTests.Folder);

    // A 40-token prompt decodes 10 tokens in 2 rows × 60 columns (120 of the 150 positions, 30 left for the prefill
    // cache) while a 20-token prompt waits for a free row: its tokens (null: it never joined).
    private static int[]? JoinWithinTheBudget(Generator generator)
    {
        var waiting = JoinCacheBudgetTests.Prompt(20, 1);
        int[]? joined = null;
        bool given = false;
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 60,
            CachePositions = Budget,
            Next = (_, promptRoom, _) =>
            {
                if (given || waiting.Length > promptRoom) return null;
                given = true;
                return new GenerationJoin(waiting, new GenerationOptions { MaxNewTokens = 2 });
            },
        };
        generator.Generate([JoinCacheBudgetTests.Prompt(HostPrompt, 0)], [new GenerationOptions { MaxNewTokens = 10 }], null, null, null,
            (row, result) => joined = row == 1 ? result.Ids : joined, continuous);
        return joined;
    }

    [Fact]
    public void ARequestBeyondTheBudgetLetsItsCacheGoSoThatTheNextBatchHasRoomToJoin()
    {
        var recording = new RecordingDecoder(JoinCacheBudgetTests.Decoder);
        var held = new HeldCaches(recording);
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        // alone in 2 rows × 90 columns: 180 positions, beyond the budget (no request can join it)
        var beyond = new ContinuousBatching { Rows = 2, Capacity = 90, CachePositions = Budget, Next = (_, _, _) => null };
        generator.Generate([JoinCacheBudgetTests.Prompt(HostPrompt, 2)], [new GenerationOptions { MaxNewTokens = 50 }], null, null, null, null, beyond);
        Assert.True(held.Reachable() <= Bytes(Budget), $"{held.Reachable()} bytes kept once it was done, the budget is {Bytes(Budget)}");

        held.Forget();
        var joined = JoinWithinTheBudget(generator);
        Assert.Equal(JoinCacheBudgetTests.Alone(JoinCacheBudgetTests.Prompt(20, 1)), joined);
        Assert.True(held.Peak <= Bytes(Budget), $"the caches held {held.Peak} bytes, the budget is {Bytes(Budget)}");
    }

    [Fact]
    public void ACacheKeptFromAnUnboundedCallIsNotReusedPastTheBudgetAtTheJoinsExpense()
    {
        var recording = new RecordingDecoder(JoinCacheBudgetTests.Decoder);
        var held = new HeldCaches(recording);
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        // no budget: 2 rows × 90 columns kept, as they may be
        generator.Generate([JoinCacheBudgetTests.Prompt(HostPrompt, 2), JoinCacheBudgetTests.Prompt(HostPrompt, 3)], new GenerationOptions { MaxNewTokens = 50 });

        held.Forget();
        var joined = JoinWithinTheBudget(generator);
        Assert.Equal(JoinCacheBudgetTests.Alone(JoinCacheBudgetTests.Prompt(20, 1)), joined);
        Assert.True(held.Peak <= Bytes(Budget), $"the caches held {held.Peak} bytes, the budget is {Bytes(Budget)}");
    }
}
