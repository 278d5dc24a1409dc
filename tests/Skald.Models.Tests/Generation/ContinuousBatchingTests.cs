using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="Generator"/> with <see cref="ContinuousBatching"/>: a request handed in between two steps decodes in a
/// free row of the running batch (a new one, or one whose request finished) and gets the tokens it gets alone — greedy
/// on every decoder fixture (Mistral's sliding window of 4 included), sampled with its seed, cut at its stop string —
/// and is reported done while its long batch mate goes on; the batch mates' tokens do not change.
/// </summary>
public sealed class ContinuousBatchingTests
{
    private static readonly int[] Long = [5, 9, 12, 3, 44, 17], Short = [7, 7, 2, 30];

    public static TheoryData<string> Folders => GenerationParityTests.Folders;

    // Decodes Long (max 20) and hands `join` to the first row offered once Long has `after` tokens; the events in order.
    private static (GenerationResult[] Results, GenerationResult? Joined, List<string> Events) Run(Generator generator,
        GenerationJoin join, int after, GenerationOptions? longOptions = null, int rows = 2)
    {
        var events = new List<string>();
        int longTokens = 0;
        bool given = false;
        GenerationResult? joined = null;
        int joinedRow = -1;
        var continuous = new ContinuousBatching
        {
            Rows = rows,
            Capacity = 64,
            Next = (row, _, _) =>
            {
                if (given || longTokens < after) return null;
                given = true;
                joinedRow = row;
                events.Add($"join {row}");
                return join;
            },
        };
        var results = generator.Generate([Long], [longOptions ?? new GenerationOptions { MaxNewTokens = 20 }], null,
            (b, _) => longTokens += b == 0 ? 1 : 0, null,
            (b, r) =>
            {
                events.Add($"done {b}");
                if (b == joinedRow && given) joined = r;
            }, continuous);
        return (results, joined, events);
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void AJoinedRowGetsItsSoloTokensAndIsDoneBeforeItsLongBatchMate(string name)
    {
        var generator = GenerationParityTests.Load(name, out _);
        var options = new GenerationOptions { MaxNewTokens = 5 };
        var soloShort = generator.Generate([Short], options)[0];
        var soloLong = generator.Generate([Long], new GenerationOptions { MaxNewTokens = 20 })[0];
        var (results, joined, events) = Run(generator, new GenerationJoin(Short, options), after: 3);
        Assert.NotNull(joined);
        Assert.Equal(soloShort.Ids, joined.Ids);
        Assert.Equal(soloShort.Text, joined.Text);
        Assert.Equal(Short.Length, joined.PromptTokens);
        Assert.Equal(soloLong.Ids, results[0].Ids);
        Assert.Equal(["join 1", "done 1", "done 0"], events);
    }

    [Fact]
    public void AJoinedRowSamplesFromItsOwnSeedAsAlone()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var sampled = new GenerationOptions { MaxNewTokens = 12, Temperature = 1.3f, TopK = 40, Seed = 17, RepetitionPenalty = 1.2f };
        var solo = generator.Generate([Short], sampled)[0];
        Assert.NotEqual(generator.Generate([Short], sampled with { Seed = 18 })[0].Ids, solo.Ids); // the seed matters here
        var (_, joined, _) = Run(generator, new GenerationJoin(Short, sampled), after: 2);
        Assert.NotNull(joined);
        Assert.Equal(solo.Ids, joined.Ids);
    }

    [Fact]
    public void ARowOfAFinishedRequestIsTakenAfreshWithItsOwnStopStrings()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var free = generator.Generate([Short], new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5f, Seed = 3 })[0];
        // a stop string first met inside the text: the first id unlike the first token's, as the test decode writes it
        string stop = $",{free.Ids.First(id => id != free.Ids[0])}";
        var stopping = new GenerationOptions { MaxNewTokens = 12, Temperature = 1.5f, Seed = 3, StopStrings = [stop] };
        var solo = generator.Generate([Short], stopping)[0];
        Assert.Equal(FinishReason.Stop, solo.FinishReason);
        Assert.True(solo.Text.Length > 0 && !solo.Text.Contains(stop, StringComparison.Ordinal), solo.Text);
        // rows 0 (Long) and 1 (two tokens, with a stop string of its own that never matches) start; row 1 is free after
        // two steps and taken by the joining request, which must not inherit its sampling stream, text or stop strings
        var first = new GenerationOptions { MaxNewTokens = 2, Temperature = 0.7f, Seed = 99, StopStrings = ["no such text"] };
        var longOptions = new GenerationOptions { MaxNewTokens = 20 };
        GenerationResult? joined = null;
        var events = new List<string>();
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 64,
            Next = (row, _, _) =>
            {
                if (events.Contains("join")) return null;
                events.Add("join");
                Assert.Equal(1, row);
                return new GenerationJoin(Short, stopping);
            },
        };
        var results = generator.Generate([Long, Short], [longOptions, first], null, null, null,
            (b, r) =>
            {
                events.Add($"done {b}");
                if (b == 1 && events.Contains("join")) joined = r;
            }, continuous);
        Assert.Equal(["done 1", "join", "done 1", "done 0"], events);
        Assert.NotNull(joined);
        Assert.Equal(solo.Ids, joined.Ids);
        Assert.Equal(solo.Text, joined.Text);
        Assert.Equal(FinishReason.Stop, joined.FinishReason);
        Assert.Equal(2, results[1].Ids.Length); // the returned array keeps the batch's own rows
        Assert.Equal(generator.Generate([Long], longOptions)[0].Ids, results[0].Ids);
    }

    [Fact]
    public void AJoinThatDoesNotFitIsTheCallersErrorAndTheRoomIsOffered()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var offers = new List<(int Row, int Prompt, int New)>();
        var continuous = new ContinuousBatching
        {
            Rows = 3,
            Capacity = 40,
            Next = (row, prompt, room) =>
            {
                offers.Add((row, prompt, room));
                return offers.Count < 3 ? null : new GenerationJoin([.. Enumerable.Repeat(4, prompt + 1)], new GenerationOptions { MaxNewTokens = 1 });
            },
        };
        var e = Assert.Throws<ArgumentException>(() => generator.Generate([Long], [new GenerationOptions { MaxNewTokens = 10 }],
            null, null, null, null, continuous));
        Assert.Contains($"prompt of {Long.Length + 3} tokens does not fit the {Long.Length + 2} filled columns", e.Message);
        // one offer per step (row 1, the first free one), after the prefill of 6 columns and each step's one more
        Assert.Equal(new[] { (1, 6, 34), (1, 7, 33), (1, 8, 32) }, offers);
    }

    [Fact]
    public void TheRoomOfferedIsThatOfTheCapacityAskedForNotOfALargerCacheKeptFromAnEarlierBatch()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        List<int> Offers(int capacity)
        {
            var rooms = new List<int>();
            var continuous = new ContinuousBatching { Rows = 2, Capacity = capacity, Next = (_, _, room) => { rooms.Add(room); return null; } };
            generator.Generate([Long], [new GenerationOptions { MaxNewTokens = 3 }], null, null, null, null, continuous);
            return rooms;
        }
        Offers(100); // keeps a cache of 100 columns a row
        // a caller that asked for 40 columns a row sizes what fits (and SkaldChatClient where a joining request's first
        // token comes) by them: the 6-column prompt leaves 34, then 33 after a step
        Assert.Equal(new[] { 40 - Long.Length, 40 - Long.Length - 1 }, Offers(40));
    }

    [Fact]
    public void AHookWithNobodyWaitingAddsNoAllocationToAStep()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        int asked = 0;
        var idle = new ContinuousBatching { Rows = 2, Capacity = 64, Next = (_, _, _) => { asked++; return null; } };
        // bytes this thread allocates for steps 11..40 (the difference of a 40- and a 10-token run), with or without the
        // hook; each run's least of five, since other tests' work on the shared pools can only add to a run's bytes
        long Steps(ContinuousBatching? joining)
        {
            long Run(int tokens)
            {
                var options = new[] { new GenerationOptions { MaxNewTokens = tokens } };
                generator.Generate([Long], options, null, null, null, null, joining); // warm: the cache of this shape exists
                long least = long.MaxValue;
                for (int i = 0; i < 5; i++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    generator.Generate([Long], options, null, null, null, null, joining);
                    least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
                }
                return least;
            }
            return Run(40) - Run(10);
        }
        long with = Steps(idle);
        Assert.Equal(6 * 39 + 6 * 9, asked); // six runs of 40 and six of 10 tokens, asked before every step but the first
        // A step allocates nothing (Allocation.SteadyStateAllocationTests), but a region that finds the engine's pool busy
        // with a concurrent test's work runs on Parallel.For, which allocates: such noise is seldom there in every
        // attempt, while an allocating hook (≥ 24 bytes a step) always is.
        string? failure = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long without = Steps(null);
            if (attempt > 0) with = Steps(idle);
            long chunked = Steps(idle with { PrefillChunk = 4 }); // the room offered then counts a chunked prefill's steps
            failure = with > without + 30 * 8 ? $"30 steps allocate {with} bytes with the hook, {without} without"
                : chunked > without + 30 * 8 ? $"30 steps allocate {chunked} bytes with the hook and chunked prefill, {without} without"
                : null;
            if (failure is null) break;
        }
        Assert.True(failure is null, failure);
    }

    [Fact]
    public void FinishedRowsAtTheEndLeaveTheStepsAndAJoiningRequestBringsOneBack()
    {
        var real = (IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2"));
        var recording = new RecordingDecoder(real);
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        var longOptions = new GenerationOptions { MaxNewTokens = 20 };
        var joinOptions = new GenerationOptions { MaxNewTokens = 4 };
        int longTokens = 0;
        bool given = false;
        GenerationResult? joined = null;
        var continuous = new ContinuousBatching
        {
            Rows = 3,
            Capacity = 64,
            Next = (_, _, _) =>
            {
                if (given || longTokens < 8) return null;
                given = true;
                return new GenerationJoin(Short, joinOptions);
            },
        };
        var results = generator.Generate([Long, Short], [longOptions, new GenerationOptions { MaxNewTokens = 3 }], null,
            (b, _) => longTokens += b == 0 ? 1 : 0, null, (b, r) => joined = given && b == 1 ? r : joined, continuous);
        // (rows, tokens) of each forward pass: the prefill of both; two steps of both; Short done after its third token,
        // so Long alone for steps 3..7; the joining prompt's own prefill; steps 8..10 of both (the joined row's tokens
        // 2..4); Long alone again for steps 11..19
        (int, int)[] expected =
        [
            (2, Long.Length), (2, 1), (2, 1), .. Enumerable.Repeat((1, 1), 5), (1, Short.Length), (2, 1), (2, 1), (2, 1),
            .. Enumerable.Repeat((1, 1), 9),
        ];
        Assert.Equal(expected, recording.Passes);
        Assert.Equal(generator.Generate([Long], longOptions)[0].Ids, results[0].Ids);
        Assert.Equal(3, results[1].Ids.Length);
        Assert.NotNull(joined);
        Assert.Equal(generator.Generate([Short], joinOptions)[0].Ids, joined.Ids);
    }

    [Fact]
    public void AJoiningPromptIsPrefilledInACacheOfItsOwnLengthNotOfAWholeRow()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out var decoder);
        var config = decoder.Config;
        long position = (long)config.NumLayers * 2 * config.KeyValueHeads * config.HeadSize * sizeof(float); // its keys and values
        bool given = false;
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 64,
            Next = (_, _, _) =>
            {
                if (given) return null;
                given = true;
                return new GenerationJoin(Short, new GenerationOptions { MaxNewTokens = 3 });
            },
        };
        generator.Generate([Long], [new GenerationOptions { MaxNewTokens = 10 }], null, null, null, null, continuous);
        Assert.True(given);
        // the batch's 2 rows of 64 positions, and the 4 of the joining prompt's prefill (not another row of 64 beyond the budget)
        Assert.Equal(position * (2 * 64 + Short.Length), generator.CacheBytes);
    }

    [Fact]
    public void ABatchNeedingAnotherCacheLetsTheOldOneGoBeforeAllocatingIt()
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        WeakReference? old = null;
        recording.Cached = cache => old ??= KeyBuffer(cache);
        generator.Generate([Long], new GenerationOptions { MaxNewTokens = 2 }); // a cache of 1 row
        Assert.NotNull(old);
        bool? heldWhileAllocating = null;
        // the config is read to size the new cache: by then the old one's buffers (as large as the budget, in a server)
        // must be collectable, or the process needs both at once
        recording.ReadingConfig = () =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            heldWhileAllocating ??= old.IsAlive;
        };
        generator.Generate([Long, Short], new GenerationOptions { MaxNewTokens = 2 }); // 2 rows: another cache
        Assert.False(heldWhileAllocating);
    }

    // A weak reference to the first layer's key buffer of the cache.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference KeyBuffer(KvCache cache) =>
        new(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(cache.Keys(0), out var keys) ? keys.Array : null);
}
