using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// A row's room is its own: the context less its own prompt (capped by its max new tokens), not what its batch's
/// longest prompt leaves of it. A short prompt left-padded beside one that nearly fills the context gets the tokens
/// ref_generate.py's PyTorch loop gives it alone (fixtures/models/make_generate.py), with Skald's KV cache and without
/// it, while the long row gets the one or two its prompt leaves; requests joining such a batch are offered no columns
/// past the context.
/// </summary>
public sealed class RowRoomTests
{
    public static TheoryData<string> Folders => GenerationParityTests.Folders;

    // A prompt leaving `room` tokens of the context (ids within every fixture's vocabulary).
    private static int[] NearTheContext(int context, int room) => [.. Enumerable.Range(0, context - room).Select(i => 1 + i % 200)];

    [Theory]
    [MemberData(nameof(Folders))]
    public void AShortPromptBesideOneNearTheContextGetsItsOwnRoom(string name)
    {
        var single = GenerationParityTests.ReadCases(TestPaths.FixtureModel(name)).Single(c => c.Name == "single");
        var generator = GenerationParityTests.Load(name, out var decoder, single.Pad);
        int[] shortPrompt = single.Prompts[0], longPrompt = NearTheContext(decoder.MaxSequenceLength, 2);
        foreach (bool cache in new[] { true, false })
        {
            var options = new GenerationOptions { MaxNewTokens = single.MaxNew, UseCache = cache };
            var results = generator.Generate([shortPrompt, longPrompt], options);
            Assert.True(single.Generated[0].SequenceEqual(results[0].Ids),
                $"{name} cache {cache}: expected [{string.Join(",", single.Generated[0])}], got [{string.Join(",", results[0].Ids)}]");
            Assert.Equal(FinishReason.Length, results[0].FinishReason);
            Assert.Equal(2, results[1].Ids.Length); // what its own prompt leaves
            Assert.Equal(FinishReason.Length, results[1].FinishReason);
        }
    }

    [Fact]
    public void ARequestJoiningSuchABatchIsOfferedNoColumnsPastTheContext()
    {
        var generator = GenerationParityTests.Load("decoder-qwen2", out var decoder);
        int context = decoder.MaxSequenceLength;
        var offers = new List<(int Prompt, int New)>();
        var joining = new ContinuousBatching
        {
            Rows = 3,
            Capacity = context,
            Next = (_, promptRoom, newRoom) =>
            {
                offers.Add((promptRoom, newRoom));
                return null;
            },
        };
        var results = generator.Generate([[7, 7, 2, 30], NearTheContext(context, 2)],
            [new GenerationOptions { MaxNewTokens = 20 }, new GenerationOptions { MaxNewTokens = 20 }], joining: joining);
        Assert.Equal(20, results[0].Ids.Length); // its own room, past the long row's
        Assert.NotEmpty(offers); // the free third row, between the first steps
        Assert.All(offers, o => Assert.True(o.Prompt + o.New <= context, $"offered a prompt of {o.Prompt} and {o.New} new tokens; the context is {context}"));
    }
}
