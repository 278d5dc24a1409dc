using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="ContinuousBatching.CachePositions"/>: the joining prompts' ragged prefill cache (rows × longest prompt of a
/// pass) counts against the positions the batch's cache leaves of the budget. Four long prompts waiting at once would
/// need four long rows beside the batch's cache; with the budget they are offered one by one, at later steps, and the
/// caches never hold more than the budget, while each joined request still gets the tokens it gets alone. The bytes
/// held are the caches the garbage collector finds reachable (<see cref="HeldCaches"/>), at each callback and at each
/// cache's allocation, when a growing cache would hold its predecessor too. Bytes per position are computed from the
/// fixture's config.json: keys and values of every layer's key/value heads, float32.
/// </summary>
public sealed class JoinCacheBudgetTests
{
    private const int Rows = 5, Capacity = 64, HostPrompt = 40;

    internal static readonly string Folder = TestPaths.FixtureModel("decoder-qwen2");
    internal static readonly IDecoder Decoder = (IDecoder)ArchitectureRegistry.Load(Folder);

    /// <summary>Bytes a cache position of the decoder in <paramref name="folder"/> holds, from its config.json.</summary>
    internal static long BytesPerPosition(string folder)
    {
        var c = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json"))).RootElement;
        int heads = c.GetProperty("num_attention_heads").GetInt32();
        return 2L * c.GetProperty("num_hidden_layers").GetInt32() * c.GetProperty("num_key_value_heads").GetInt32()
            * (c.GetProperty("hidden_size").GetInt32() / heads) * sizeof(float);
    }

    internal static int[] Prompt(int length, int seed) => [.. Enumerable.Range(0, length).Select(i => (5 * i + 11 * seed) % 280 + 1)];

    // A 40-token prompt decodes 20 tokens in a cache of 5 rows × 64 columns while `joins` wait, each handed to an offer
    // whose longest prompt it fits (as a server's queue does); the most bytes the caches held at any callback or
    // allocation, and each join's tokens (null: it never joined).
    private static (long Peak, int[]?[] Tokens) Run(int[][] joins, long positions, int chunk)
    {
        var recording = new RecordingDecoder(Decoder);
        var held = new HeldCaches(recording);
        var generator = new Generator(recording, ids => string.Join(",", ids), 0, []);
        void Measure() => held.Measure();
        int given = 0;
        var request = new int[Rows];
        var tokens = new int[]?[joins.Length];
        var continuous = new ContinuousBatching
        {
            Rows = Rows,
            Capacity = Capacity,
            PrefillChunk = chunk,
            CachePositions = positions,
            Next = (row, promptRoom, _) =>
            {
                Measure();
                if (given == joins.Length || joins[given].Length > promptRoom) return null;
                request[row] = given;
                return new GenerationJoin(joins[given++], new GenerationOptions { MaxNewTokens = 2 });
            },
        };
        generator.Generate([Prompt(HostPrompt, 0)], [new GenerationOptions { MaxNewTokens = 20 }], null, (_, _) => Measure(), null,
            (row, result) =>
            {
                Measure();
                if (result.Ids.Length == 2) tokens[request[row]] = result.Ids; // the host's result has 20
            }, continuous);
        Measure();
        return (held.Peak, tokens);
    }

    internal static int[] Alone(int[] prompt) =>
        [.. new Generator(Decoder, ids => string.Join(",", ids), 0, []).Generate([prompt], new GenerationOptions { MaxNewTokens = 2 })[0].Ids];

    [Fact]
    public void LongPromptsJoiningAtOnceWaitForRoomInsteadOfGoingPastTheBudget()
    {
        int[][] joins = [Prompt(38, 1), Prompt(38, 2), Prompt(38, 3), Prompt(38, 4)];
        long budget = Rows * Capacity + Capacity; // the batch's cache and one more row
        var (unbounded, _) = Run(joins, 0, 0);
        Assert.True(unbounded > budget * BytesPerPosition(Folder), $"{unbounded} bytes: four rows prefilled at once go past the budget");

        var (peak, tokens) = Run(joins, budget, 0);
        Assert.True(peak <= budget * BytesPerPosition(Folder), $"the caches held {peak} bytes, the budget is {budget * BytesPerPosition(Folder)}");
        for (int i = 0; i < joins.Length; i++) Assert.Equal(Alone(joins[i]), tokens[i]);
    }

    [Fact]
    public void AChunkedPromptMovedWhenThePrefillCacheGrowsGetsItsOwnTokensAndTheGrowthStaysWithinTheBudget()
    {
        // chunks of 16: a short prompt and the first chunk of a 30-token one, which goes on in row 1 while a 38-token
        // prompt joins: the cache grows from 2 × 32 to 2 × 64 columns and the prompt in progress moves to row 0 (a new
        // cache of 2 × 64 beside the old 2 × 32 it is copied from would pass the budget)
        int[][] joins = [Prompt(3, 1), Prompt(30, 2), Prompt(38, 3)];
        long budget = Rows * Capacity + 2 * Capacity;
        var (peak, tokens) = Run(joins, budget, 16);
        Assert.True(peak <= budget * BytesPerPosition(Folder), $"the caches held {peak} bytes, the budget is {budget * BytesPerPosition(Folder)}");
        for (int i = 0; i < joins.Length; i++) Assert.Equal(Alone(joins[i]), tokens[i]);
    }

    [Fact]
    public void AJoinLongerThanThePrefillBudgetAllowsIsRefusedNamingTheBudgetNotTheFilledColumns()
    {
        // 40 filled columns, but the budget leaves 20 positions beside the batch's 5 × 64: a prompt of 20 at most
        var offers = new List<int>();
        var continuous = new ContinuousBatching
        {
            Rows = Rows,
            Capacity = Capacity,
            CachePositions = Rows * Capacity + 20,
            Next = (_, promptRoom, _) =>
            {
                offers.Add(promptRoom);
                return new GenerationJoin(Prompt(promptRoom + 1, 1), new GenerationOptions { MaxNewTokens = 2 });
            },
        };
        var generator = new Generator(Decoder, ids => string.Join(",", ids), 0, []);
        var e = Assert.Throws<ArgumentException>(() => generator.Generate([Prompt(HostPrompt, 0)],
            [new GenerationOptions { MaxNewTokens = 20 }], null, null, null, null, continuous));
        Assert.Equal([20], offers);
        Assert.Contains("a joining prompt of 21 tokens does not fit the 20 tokens the prefill cache's budget leaves", e.Message);
        Assert.DoesNotContain("filled columns", e.Message);
    }

    [Fact]
    public void NoRequestJoinsWhenTheBatchsCacheTakesTheWholeBudget()
    {
        var (_, tokens) = Run([Prompt(10, 1)], Rows * Capacity, 0);
        Assert.Null(tokens[0]);
    }
}
