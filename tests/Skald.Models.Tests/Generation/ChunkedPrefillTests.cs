using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="ContinuousBatching.PrefillChunk"/>: a joining prompt prefilled in chunks between the batch's steps gets the
/// tokens (and log-probabilities) it gets alone without a cache, whatever the chunk size, on every decoder fixture; the
/// rows already decoding produce a token between any two chunks; a prefill whose batch mates are done goes on without
/// steps; the new tokens offered leave room for the steps the chunks span; a request whose caller leaves mid-prefill is
/// dropped; a sampled join keeps its seed; a finished row fed padding in the steps meanwhile takes the prompt cleanly.
/// </summary>
public sealed class ChunkedPrefillTests
{
    // the batch's own prompt (10 tokens, so that a 9-token prompt fits beside it from the first step on) and the joining one
    private static readonly int[] First = [5, 9, 12, 3, 44, 17, 60, 2, 81, 33], Joining = [7, 7, 2, 30, 150, 11, 93, 4, 28];

    public static TheoryData<string, int> FoldersAndChunks()
    {
        var data = new TheoryData<string, int>();
        foreach (string folder in GenerationParityTests.Folders)
        {
            foreach (int chunk in new[] { 1, 3, 7, Joining.Length - 1, Joining.Length, 0 }) data.Add(folder, chunk); // 8: the prompt is one more
        }
        return data;
    }

    // Decodes First (max `firstMax`) and hands `join` to the first row offered; the joined request's result (null if none).
    private static (GenerationResult First, GenerationResult? Joined) Run(Generator generator, GenerationJoin join, int chunk,
        int firstMax = 30, Action<int, int>? onToken = null, Func<int, bool>? abandoned = null)
    {
        bool given = false;
        int joinedRow = -1;
        GenerationResult? joined = null;
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 64,
            PrefillChunk = chunk,
            Next = (row, _, _) =>
            {
                if (given) return null;
                given = true;
                joinedRow = row;
                return join;
            },
        };
        var results = generator.Generate([First], [new GenerationOptions { MaxNewTokens = firstMax }], null, onToken, abandoned,
            (b, r) => joined = given && b == joinedRow ? r : joined, continuous);
        Assert.True(given);
        return (results[0], joined);
    }

    [Theory]
    [MemberData(nameof(FoldersAndChunks))]
    public void AChunkedJoinGetsItsSoloTokensAndLogProbsAsWithoutACache(string name, int chunk)
    {
        var generator = GenerationParityTests.Load(name, out _);
        var options = new GenerationOptions { MaxNewTokens = 6, LogProbs = 2 };
        var reference = generator.Generate([Joining], options with { UseCache = false })[0]; // every step the whole sequence
        var firstAlone = generator.Generate([First], new GenerationOptions { MaxNewTokens = 30 })[0];
        var (first, joined) = Run(generator, new GenerationJoin(Joining, options), chunk);
        Assert.NotNull(joined);
        Assert.Equal(Joining.Length, joined.PromptTokens);
        BatchedPrefillTests.SameLogProbs(reference, joined);
        Assert.Equal(firstAlone.Ids, first.Ids);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void AChunkedJoinSamplesFromItsOwnSeedAsAlone(int chunk)
    {
        // the seed stream starts at its first token, chosen from the last chunk's logits, whatever steps ran between chunks
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var sampled = new GenerationOptions { MaxNewTokens = 10, Temperature = 1.3f, TopK = 40, Seed = 23, RepetitionPenalty = 1.2f };
        var solo = generator.Generate([Joining], sampled)[0];
        Assert.NotEqual(generator.Generate([Joining], sampled with { Seed = 24 })[0].Ids, solo.Ids); // the seed matters here
        var (_, joined) = Run(generator, new GenerationJoin(Joining, sampled), chunk);
        Assert.NotNull(joined);
        Assert.Equal(solo.Ids, joined.Ids);
    }

    [Fact]
    public void TheDecodingRowGetsATokenBetweenAnyTwoChunks()
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        var events = new List<string>();
        recording.Passing = (rows, tokens) => events.Add($"pass {rows}x{tokens}");
        var (_, joined) = Run(generator, new GenerationJoin(Joining, new GenerationOptions { MaxNewTokens = 3 }), chunk: 4,
            firstMax: 8, onToken: (b, _) => events.Add($"token {b}"));
        Assert.NotNull(joined);
        // the batch's prefill and first token; the 9-token prompt's chunks of 4, 4 and 1 between the first row's steps;
        // its first token from the last chunk's logits, then both rows step together until it has 3
        string[] expected =
        [
            "pass 1x10", "token 0",
            "pass 1x4", "pass 1x1", "token 0",
            "pass 1x4", "pass 1x1", "token 0",
            "pass 1x1", "token 1", "pass 2x1", "token 0", "token 1", "pass 2x1", "token 0", "token 1",
            "pass 1x1", "token 0", "pass 1x1", "token 0", "pass 1x1", "token 0",
        ];
        Assert.Equal(expected, events);
        Assert.Equal(generator.Generate([Joining], new GenerationOptions { MaxNewTokens = 3 })[0].Ids, joined.Ids);
    }

    [Fact]
    public void APrefillWhoseBatchMatesAreDoneGoesOnWithoutSteps()
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        var options = new GenerationOptions { MaxNewTokens = 3 };
        var (first, joined) = Run(generator, new GenerationJoin(Joining, options), chunk: 2, firstMax: 2);
        Assert.Equal(2, first.Ids.Length);
        Assert.NotNull(joined);
        Assert.Equal(generator.Generate([Joining], options with { UseCache = false })[0].Ids, joined.Ids);
        // prefill; a chunk of 2; the first row's second and last step; the other chunks back to back (no step of padding
        // between them); the joined row's two steps, alone (the finished first row has left the steps)
        (int, int)[] expected = [(1, 10), (1, 2), (1, 1), (1, 2), (1, 2), (1, 2), (1, 1), (1, 1), (1, 1)];
        Assert.Equal(expected, recording.Passes.Take(expected.Length));
    }

    [Fact]
    public void RowsFinishingWhileARowIsPrefilledLeaveTheStepsAndItJoinsInTheNextSlot()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var options = new GenerationOptions { MaxNewTokens = 4 };
        bool given = false;
        GenerationResult? joined = null;
        var continuous = new ContinuousBatching
        {
            Rows = 3,
            Capacity = 64,
            PrefillChunk = 1,
            Next = (row, _, _) =>
            {
                if (given) return null;
                given = true;
                Assert.Equal(2, row); // the next unused row: both of the batch's decode
                return new GenerationJoin(Joining, options);
            },
        };
        // the second row is done after 3 tokens, while the third's prompt is still prefilled one token a step: the second
        // leaves the steps, and the third joins in the next slot when its prompt is whole
        var results = generator.Generate([First, Joining], [new GenerationOptions { MaxNewTokens = 20 }, new GenerationOptions { MaxNewTokens = 3 }],
            null, null, null, (b, r) => joined = given && b == 2 ? r : joined, continuous);
        Assert.NotNull(joined);
        Assert.Equal(generator.Generate([Joining], options with { UseCache = false })[0].Ids, joined.Ids);
        Assert.Equal(generator.Generate([First], new GenerationOptions { MaxNewTokens = 20 })[0].Ids, results[0].Ids);
    }

    [Fact]
    public void ARowJoinsInThePlaceOfOneThatLeftTheStepsWhileItsBatchMateDecodes()
    {
        // row 0 is done after 2 tokens while row 1 decodes on, so row 0 leaves the steps (row 1 moves into its cache row)
        // while the joining prompt is prefilled for it 2 tokens a step; the steps meanwhile write columns of row 1 only,
        // and the joined row, adopted into the next slot, masks those before its prompt: both rows get their solo tokens
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var options = new GenerationOptions { MaxNewTokens = 5, LogProbs = 1 };
        int[] shortPrompt = [7, 7, 2, 30];
        bool given = false;
        GenerationResult? joined = null;
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 64,
            PrefillChunk = 2,
            Next = (row, _, _) =>
            {
                if (given) return null;
                given = true;
                Assert.Equal(0, row);
                return new GenerationJoin(Joining, options);
            },
        };
        var results = generator.Generate([shortPrompt, First], [new GenerationOptions { MaxNewTokens = 2 }, new GenerationOptions { MaxNewTokens = 25 }],
            null, null, null, (b, r) => joined = given && b == 0 ? r : joined, continuous);
        Assert.NotNull(joined);
        var reference = generator.Generate([Joining], options with { UseCache = false })[0];
        Assert.Equal(reference.Ids, joined.Ids);
        for (int i = 0; i < reference.Ids.Length; i++) Assert.Equal(reference.LogProbs![i].Chosen.LogProb, joined.LogProbs![i].Chosen.LogProb, 1e-4f);
        Assert.Equal(generator.Generate([First], new GenerationOptions { MaxNewTokens = 25 })[0].Ids, results[1].Ids);
        Assert.Equal(generator.Generate([shortPrompt], new GenerationOptions { MaxNewTokens = 2 })[0].Ids, results[0].Ids);
    }

    [Fact]
    public void TheNewTokensOfferedLeaveRoomForTheStepsOfTheChunks()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var offers = new List<(int Prompt, int New)>();
        GenerationResult? joined = null;
        int[] prompt = [];
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 30,
            PrefillChunk = 4,
            Next = (_, promptRoom, newRoom) =>
            {
                offers.Add((promptRoom, newRoom));
                if (offers.Count > 1) return null;
                // the longest prompt that fits, with as many new tokens as are offered: both must fit to the end
                prompt = [.. Enumerable.Range(0, promptRoom).Select(i => 3 + 7 * i % 250)];
                return new GenerationJoin(prompt, new GenerationOptions { MaxNewTokens = newRoom });
            },
        };
        generator.Generate([First], [new GenerationOptions { MaxNewTokens = 12 }], null, null, null,
            (b, r) => joined = b == 1 ? r : joined, continuous);
        // 10 filled columns and 20 left; a 10-token prompt in chunks of 4, 4 and 2 spans 2 steps, which fill 2 of them
        Assert.Equal((10, 18), offers[0]);
        Assert.NotNull(joined);
        Assert.Equal(18, joined.Ids.Length);
        Assert.Equal(generator.Generate([prompt], new GenerationOptions { MaxNewTokens = 18 })[0].Ids, joined.Ids);
    }

    [Fact]
    public void ANewTokenCountThatOnlyFitsWithoutTheChunksStepsIsTheCallersError()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out _);
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 30,
            PrefillChunk = 4,
            Next = (_, _, _) => new GenerationJoin(Joining, new GenerationOptions { MaxNewTokens = 19 }),
        };
        var e = Assert.Throws<ArgumentException>(() => generator.Generate([First], [new GenerationOptions { MaxNewTokens = 12 }],
            null, null, null, null, continuous));
        // 20 columns left; the 9-token prompt's chunks of 4, 4 and 1 span 2 steps
        Assert.Contains("19 new tokens do not fit the 18 columns left once the 2 steps during its chunked prefill have run", e.Message);
    }

    [Fact]
    public void ARequestWhoseCallerLeavesDuringItsPrefillIsDroppedAndTheBatchGoesOn()
    {
        var recording = new RecordingDecoder((IDecoder)ArchitectureRegistry.Load(TestPaths.FixtureModel("decoder-qwen2")));
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        int firstTokens = 0;
        var (first, joined) = Run(generator, new GenerationJoin(Joining, new GenerationOptions { MaxNewTokens = 3 }), chunk: 2,
            firstMax: 8, onToken: (b, _) => firstTokens += b == 0 ? 1 : 0, abandoned: b => b == 1 && firstTokens >= 3);
        Assert.Null(joined);
        // chunks of 2 after the first row's first and second tokens; gone before the third chunk: the first row alone
        (int, int)[] expected = [(1, 10), (1, 2), (1, 1), (1, 2), (1, 1), .. Enumerable.Repeat((1, 1), 5)];
        Assert.Equal(expected, recording.Passes);
        Assert.Equal(generator.Generate([First], new GenerationOptions { MaxNewTokens = 8 })[0].Ids, first.Ids);
    }
}
