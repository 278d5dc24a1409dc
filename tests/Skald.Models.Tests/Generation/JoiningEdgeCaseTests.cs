using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="Generator"/>'s continuous batching at its edges, each joined request checked against its tokens alone: two
/// requests joining in one gap into rows past a batch that had shrunk (the step arrays grow twice), a joining prompt
/// longer than the sliding window (Mistral, Qwen2, Gemma 2/3), on bf16 and int8 weights too; a row taken twice in one
/// batch (the first time by a request done at its first token); an abandoned row taken by a request, the abandoned
/// one reported only in the returned array and the joined one only through the finished callback.
/// </summary>
public sealed class JoiningEdgeCaseTests
{
    private static readonly int[] Long = [5, 9, 12, 3, 44, 17, 8, 21, 30, 11], Four = [7, 7, 2, 30], Six = [3, 8, 1, 19, 22, 6];

    public static TheoryData<string> Models =>
    [
        "decoder-llama3", "decoder-qwen2", "decoder-qwen3", "decoder-mistral", "decoder-gemma2", "decoder-gemma3",
        "decoder-llama3-bf16", "decoder-llama3 int8", "decoder-gemma3 int8",
    ];

    // A fixture's generator ("NAME int8": int8 weights, where the CPU has int8 kernels; float32 otherwise).
    private static Generator Load(string model)
    {
        string[] parts = model.Split(' ');
        var generator = GenerationParityTests.Load(parts[0], out _);
        if (parts.Length > 1) generator.KeepInt8Only();
        return generator;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TwoRequestsJoiningInOneGapPastAShrunkBatchGetTheirSoloTokens(string model)
    {
        var generator = Load(model);
        GenerationOptions longOptions = new() { MaxNewTokens = 30 }, four = new() { MaxNewTokens = 5 }, six = new() { MaxNewTokens = 7 };
        var expected = new[] { generator.Generate([Four], four)[0].Ids, generator.Generate([Six], six)[0].Ids };
        int longTokens = 0, given = 0;
        var joinedRows = new List<int>();
        var joined = new Dictionary<int, GenerationResult>();
        var continuous = new ContinuousBatching
        {
            Rows = 3,
            Capacity = 100,
            Next = (row, _, _) =>
            {
                // rows 1 and 2 are done after two tokens and leave the steps; both come back in the same gap
                if (longTokens < 6 || given == 2) return null;
                joinedRows.Add(row);
                return given++ == 0 ? new GenerationJoin(Four, four) : new GenerationJoin(Six, six);
            },
        };
        var two = new GenerationOptions { MaxNewTokens = 2 };
        var results = generator.Generate([Long, Four, Four], [longOptions, two, two], null, (b, _) => longTokens += b == 0 ? 1 : 0,
            null, (b, r) => { if (joinedRows.Contains(b)) joined[b] = r; }, continuous);
        Assert.Equal([1, 2], joinedRows);
        Assert.Equal(expected[0], joined[1].Ids);
        Assert.Equal(expected[1], joined[2].Ids); // six tokens of prompt, beyond a sliding window of 4
        Assert.Equal(Six.Length, joined[2].PromptTokens);
        Assert.Equal(generator.Generate([Long], longOptions)[0].Ids, results[0].Ids);
        Assert.Equal(2, results[1].Ids.Length);
    }

    [Fact]
    public void ARowIsTakenTwiceInOneBatchFirstByARequestDoneAtItsFirstToken()
    {
        var generator = Load("decoder-mistral");
        GenerationOptions longOptions = new() { MaxNewTokens = 30 }, one = new() { MaxNewTokens = 1 }, five = new() { MaxNewTokens = 5 };
        int offers = 0;
        var done = new List<(int Row, GenerationResult Result)>();
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 100,
            Next = (_, _, _) => ++offers switch { 2 => new GenerationJoin(Six, one), 4 => new GenerationJoin(Four, five), _ => null },
        };
        var results = generator.Generate([Long], [longOptions], null, null, null, (b, r) => done.Add((b, r)), continuous);
        Assert.Equal([1, 1, 0], done.Select(d => d.Row));
        Assert.Equal(generator.Generate([Six], one)[0].Ids, done[0].Result.Ids);
        Assert.Equal(FinishReason.Length, done[0].Result.FinishReason);
        Assert.Equal(generator.Generate([Four], five)[0].Ids, done[1].Result.Ids);
        Assert.Equal(generator.Generate([Long], longOptions)[0].Ids, results[0].Ids);
    }

    [Fact]
    public void AnAbandonedRowIsTakenAndOnlyTheJoinedRequestIsReportedThroughFinished()
    {
        var generator = Load("decoder-gemma3");
        GenerationOptions longOptions = new() { MaxNewTokens = 30 }, five = new() { MaxNewTokens = 5 };
        int longTokens = 0;
        bool given = false;
        var events = new List<string>();
        GenerationResult? joined = null;
        var continuous = new ContinuousBatching
        {
            Rows = 2,
            Capacity = 100,
            Next = (row, _, _) =>
            {
                if (given) return null;
                given = true;
                events.Add($"join {row}");
                return new GenerationJoin(Four, five);
            },
        };
        var results = generator.Generate([Long, Six], [longOptions, new GenerationOptions { MaxNewTokens = 20 }], null,
            (b, _) => longTokens += b == 0 ? 1 : 0, b => b == 1 && !given && longTokens >= 3,
            (b, r) =>
            {
                events.Add($"done {b}");
                if (b == 1) joined = r;
            }, continuous);
        Assert.Equal(["join 1", "done 1", "done 0"], events); // the abandoned request is never reported done
        Assert.Equal(generator.Generate([Four], five)[0].Ids, joined!.Ids);
        Assert.Equal(3, results[1].Ids.Length); // the abandoned row's tokens until it was let go
        Assert.Equal(generator.Generate([Six], new GenerationOptions { MaxNewTokens = 3 })[0].Ids, results[1].Ids);
        Assert.Equal(generator.Generate([Long], longOptions)[0].Ids, results[0].Ids);
    }
}
